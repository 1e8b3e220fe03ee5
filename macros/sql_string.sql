{#
    A text value as a Spark SQL string literal. Spark reads backslash escapes inside
    literals, so backslashes are doubled before quotes are escaped.
#}
{% macro sql_string(value) -%}
    '{{ value | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}


{# Text values as a list of literals for `in (...)`; `null` (which matches nothing) when empty. #}
{% macro sql_string_list(values) -%}
    {%- for value in values -%}
        {{ sql_string(value) }}{{ ', ' if not loop.last }}
    {%- else -%}
        null
    {%- endfor -%}
{%- endmacro %}
