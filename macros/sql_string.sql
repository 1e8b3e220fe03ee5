{#
    A text value as a Spark SQL string literal. Spark reads backslash escapes inside
    literals, so backslashes are doubled before quotes are escaped.
#}
{% macro sql_string(value) -%}
    '{{ value | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}
