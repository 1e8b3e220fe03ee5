{#
    Bronze sales: every line of every delivered sales file, as received (text as text),
    plus lineage. Incremental: a build appends the lines of the files it has not loaded
    yet (the manifest `bronze.landing_files`, macros/landing/landing_file_batch.sql), so
    a file is loaded once, --full-refresh included; only a rebuild of bronze
    (`lakehouse build --rebuild-bronze`) reads every file present. Lines that do not parse
    as 7 CSV fields, or that carry a stray quote, are kept and flagged; nothing is filtered
    here except each file's header line and blank lines (which carry no data).

    Each line is split by the layout of its file: the contract's 7 columns in order, or, for
    a file whose header differs (an extra or reordered column), the layout given in the var
    `sales_file_layouts`, which `lakehouse run` derives from each file's header before the
    build (lakehouse/landing/check.py): the file's own width, the required columns taken from
    their positions, extra columns ignored. macros/landing/sales_file_layouts.sql reads the
    layouts and plans one parse per layout.
#}

{#- full_refresh: bronze is the record of every delivery loaded. --full-refresh rebuilds
    silver and gold from it and leaves it alone; only `lakehouse build --rebuild-bronze` (the
    var rebuild_bronze) reads it again from the landing folder. #}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        full_refresh=var('rebuild_bronze', false),
        post_hook="{{ record_landing_files('sales') }}",
    )
}}

{%- set new_files = new_landing_files('sales', this) if is_incremental() else none -%}
{#- The contract's columns, in order: the header line every standard file starts with. -#}
{%- set sales_columns = var('sales_csv_header').split(',') -%}
{#- The files with a header of their own, and one parse per layout. -#}
{%- set layouts = sales_file_layouts() -%}
{%- set parses = sales_line_parses(layouts) %}

with

sales_lines as (

    select
        value as raw_line,
        {{ landing_file_name() }} as source_file,
        _metadata.file_size as source_file_size,
        _metadata.file_modification_time as delivered_at
    from {{ source('landing', 'sales_lines') }}
    {%- if new_files is not none %}
    {# An incremental build reads only the new files (an empty list reads nothing). #}
    where {{ landing_file_name() }} in ({{ sql_string_list(new_files) }})
    {%- endif %}

),

data_lines as (

    select *
    from sales_lines
    where
        raw_line != '{{ var("sales_csv_header") }}'
        {%- for file_name, layout in layouts.items() %}
        and not (
            source_file = {{ sql_string(file_name) }}
            and raw_line = {{ sql_string(layout.header) }}
        )
        {%- endfor %}
        and trim(raw_line) != ''

),

parsed as (
    {%- for parse in parses %}

    {{ 'union all' if not loop.first }}
    select
        raw_line,
        source_file,
        source_file_size,
        delivered_at,
        named_struct(
            {%- for column in sales_columns %}
            '{{ column }}', by_position.c{{ parse.layout.positions[column] }},
            {%- endfor %}
            '_corrupt_record', by_position._corrupt_record
        ) as fields
    from (
        select
            raw_line,
            source_file,
            source_file_size,
            delivered_at,
            from_csv(
                raw_line,
                '{{ parse.schema }}',
                map(
                    'mode', 'PERMISSIVE',
                    'columnNameOfCorruptRecord', '_corrupt_record',
                    'ignoreLeadingWhiteSpace', 'false',
                    'ignoreTrailingWhiteSpace', 'false'
                )
            ) as by_position
        from data_lines
        where {{ parse.files }}
    )
    {%- endfor %}

),

final as (

    select
        {%- for column in sales_columns %}
        fields.{{ column }},
        {%- endfor %}
        {# A well-formed CSV line has an even number of quote characters. #}
        (
            fields._corrupt_record is not null
            or (length(raw_line) - length(replace(raw_line, '"', ''))) % 2 = 1
        ) as is_malformed_line,
        raw_line as _raw_line,
        sha2(raw_line, 256) as _row_hash,
        source_file as _source_file,
        source_file_size as _source_file_size,
        delivered_at as _delivered_at,
        current_timestamp() as _loaded_at
    from parsed

)

select * from final
