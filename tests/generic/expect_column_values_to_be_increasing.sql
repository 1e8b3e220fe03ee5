{#
    Ordered by sort_column (default: the column itself), each value of the column is greater than
    the one before it (or equal, with strictly: false; strictly is true by default), per group
    of group_by when given. With step, the difference from the one before (value - previous)
    must be exactly step. Nulls pass, and so does the value after a null. Rows tied on
    sort_column follow in no set order, as in dbt-expectations. Returns the failing rows:
    sort_column, the group columns, value_field and value_field_lag (the value before).
#}
{% test expect_column_values_to_be_increasing(
    model,
    column_name,
    sort_column=none,
    strictly=true,
    row_condition=none,
    group_by=none,
    step=none
) %}

{{ column_values_out_of_order(
    model, column_name, sort_column, strictly, row_condition, group_by, step, increasing=true
) }}

{% endtest %}


{#- The failing rows of expect_column_values_to_be_increasing (increasing=true) and
    _decreasing (increasing=false): one definition for both directions. -#}
{% macro column_values_out_of_order(
    model, column_name, sort_column, strictly, row_condition, group_by, step, increasing
) %}

{%- set sort_expression = sort_column or column_name -%}
{%- set group_columns = group_by or [] -%}
{%- set operator = (">" if increasing else "<") ~ ("" if strictly else "=") -%}
{%- set difference = "value_field - value_field_lag" if increasing
    else "value_field_lag - value_field" -%}

with source_rows as (

    select
        {{ sort_expression }} as sort_column,
        {% for column in group_columns %}
        {{ column }},
        {% endfor %}
        {{ column_name }} as value_field
    from {{ model }}
    {% if row_condition %}
    where {{ row_condition }}
    {% endif %}

),

with_previous as (

    select
        *,
        lag(value_field) over (
            {% if group_columns %}
            partition by {{ group_columns | join(", ") }}
            {% endif %}
            order by sort_column
        ) as value_field_lag
    from source_rows

),

final as (

    select * from with_previous
    where
        value_field_lag is not null
        and not (
            value_field {{ operator }} value_field_lag
            {% if step %}
            and {{ difference }} = {{ step }}
            {% endif %}
        )

)

select * from final

{% endmacro %}
