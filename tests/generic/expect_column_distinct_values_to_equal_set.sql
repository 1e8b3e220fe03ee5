{#
    The distinct values of the column are exactly value_set. A null in the column fails, as
    in dbt-expectations. Returns one row per value found only in the column (column_value)
    or only in the set (value_field).
    Values are compared as quoted strings unless quote_values is false (then pasted as SQL
    literals: numbers, booleans, expressions).
#}
{% test expect_column_distinct_values_to_equal_set(
    model,
    column_name,
    value_set,
    quote_values=true,
    row_condition=none
) %}

{%- if not value_set or value_set is string -%}
    {{ exceptions.raise_compiler_error(
        "expect_column_distinct_values_to_equal_set: value_set must be a non-empty list."
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

    select
        column_values.value_field as column_value,
        set_values.value_field
    from column_values
    full outer join set_values on column_values.value_field = set_values.value_field
    where column_values.value_field is null or set_values.value_field is null

)

select * from final

{% endtest %}
