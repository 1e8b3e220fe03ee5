{#
    The normalised form used to match free text against canonical names and aliases:
    lower case, trimmed, runs of whitespace collapsed to one space.
#}
{% macro normalise_text(column_name) -%}
    lower(regexp_replace(trim({{ column_name }}), '\\s+', ' '))
{%- endmacro %}
