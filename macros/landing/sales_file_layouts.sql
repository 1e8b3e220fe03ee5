{#
    The layouts bronze sales splits its lines by (models/staging/landing/stg_landing__sales.sql).

    A sales file whose header is the contract's (the var `sales_csv_header`) is read by the
    contract's 7 columns, in order. A file whose header differs (an extra or reordered column)
    has a layout of its own in the var `sales_file_layouts`, which `lakehouse run` derives from
    each file's header before the build (lakehouse/landing/check.py): its header line, its
    width, and the position of each required column; extra columns are ignored.
#}

{#- The var `sales_file_layouts`: file name -> {header, width, positions}, as a mapping or as
    its JSON text (what a scheduler's templated value passes, orchestration/dags). Lint
    renders var() as a placeholder, not a mapping: that reads as no layouts. -#}
{% macro sales_file_layouts() %}
    {%- set layouts = var('sales_file_layouts', {}) -%}
    {%- if layouts is string and layouts.strip().startswith('{') -%}
        {%- set layouts = fromjson(layouts, {}) -%}
    {%- endif -%}
    {{ return(layouts if layouts is mapping else {}) }}
{% endmacro %}


{#-
    One parse per layout: the contract's for every file without a layout of its own, then one
    per file that has one. Each parse is
      - layout: {width, positions: column -> position of the field in the line},
      - files: a SQL predicate on `source_file` selecting the files it reads,
      - schema: the DDL from_csv reads a line with: the fields by position (c0, c1, ...) as
        strings, and the corrupt-record column.
-#}
{% macro sales_line_parses(layouts) %}
    {%- set sales_columns = var('sales_csv_header').split(',') -%}
    {%- set contract_layout = {'width': sales_columns | length, 'positions': {}} -%}
    {%- for column in sales_columns -%}
        {%- do contract_layout.positions.update({column: loop.index0}) -%}
    {%- endfor -%}
    {%- set parses = [{'layout': contract_layout, 'files': 'true'}] -%}
    {%- if layouts -%}
        {%- set quoted_names = [] -%}
        {%- for file_name in layouts -%}
            {%- do quoted_names.append(sql_string(file_name)) -%}
            {%- do parses.append({
                'layout': layouts[file_name], 'files': 'source_file = ' ~ sql_string(file_name)
            }) -%}
        {%- endfor -%}
        {%- do parses[0].update({
            'files': 'source_file not in (' ~ quoted_names | join(', ') ~ ')'
        }) -%}
    {%- endif -%}
    {%- for parse in parses -%}
        {%- set fields = [] -%}
        {%- for position in range(parse.layout.width) -%}
            {%- do fields.append('c' ~ position ~ ' string') -%}
        {%- endfor -%}
        {%- do parse.update({'schema': (fields + ['_corrupt_record string']) | join(', ')}) -%}
    {%- endfor -%}
    {{ return(parses) }}
{% endmacro %}
