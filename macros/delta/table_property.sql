{#- A table property of `relation` (Delta keeps it in the table's log), or '' when the
    table does not have it. Spark answers a missing key with a sentence, not an empty row. -#}
{% macro table_property(relation, key) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set rows = run_query("show tblproperties " ~ relation ~ " ('" ~ key ~ "')") -%}
    {%- set value = rows.rows[0][1] if rows and rows.rows else '' -%}
    {{- '' if 'does not have property' in (value | string) else value -}}
{%- endmacro %}


{#- Sets a table property; a Delta commit of its own, with no data file. -#}
{% macro set_table_property(relation, key, value) -%}
    {%- do run_query(
        "alter table " ~ relation ~ " set tblproperties ('" ~ key ~ "' = '" ~ value ~ "')"
    ) -%}
{%- endmacro %}
