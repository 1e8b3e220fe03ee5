{#
    Every value of value_set occurs in the column (the column may hold others too). Returns
    one row per value of the set the column lacks (value_field).
    Values are compared as quoted strings unless quote_values is false (then pasted as SQL
    literals: numbers, booleans, expressions).
#}
{% test expect_column_distinct_values_to_contain_set(
    model,
    column_name,
    value_set,
    quote_values=true,
    row_condition=none
) %}

{%- if not value_set or value_set is string -%}
    {{ exceptions.raise_compiler_error(
        "expect_column_distinct_values_to_contain_set: value_set must be a non-empty list."
    ) }}
{%- endif -%}

{%- set literals = [] -%}
{%- for value in value_set -%}
    {%- if quote_values -%}
        {%- do literals.append("'" ~ (value | string | replace("\\", "\\\\")
            | replace("'", "\\'")) ~ "'") -%}
    {%- else -%}
        {%- do literals.append(value | string) -%}
    {%- endif -%}
{%- endfor -%}

with column_values as (

    select distinct {{ column_name }} as value_field
    from {{ model }}
    {% if row_condition %}
    where {{ row_condition }}
    {% endif %}

),

set_values as (

    {% for literal in literals | unique %}
    {% if not loop.first %}union all{% endif %}
    select {{ literal }} as value_field
    {% endfor %}

),

final as (

    select set_values.value_field
    from set_values
    left join column_values on set_values.value_field = column_values.value_field
    where column_values.value_field is null

)

select * from final

{% endtest %}
