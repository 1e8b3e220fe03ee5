{#
    Layer schemas are used as named (bronze, silver, gold, ...), not prefixed with the
    target schema, so analysts find gold tables at jdbc:hive2://host:10000/gold.
    The var `schema_prefix` (empty by default) prefixes every layer schema: a second copy
    of the pipeline beside the first (`--vars '{schema_prefix: full_}'` builds full_bronze,
    full_silver, ...), as the incremental tests do to compare with a full build.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ var('schema_prefix', '') ~ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
