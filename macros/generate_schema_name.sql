{#
    Layer schemas are used as named (bronze, silver, gold, ...), not prefixed with the
    target schema, so analysts find gold tables at jdbc:hive2://host:10000/gold.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
