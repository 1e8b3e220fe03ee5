{#
    The model has exactly value columns. Reads the relation's schema when the test runs.
    Returns one row when the count differs: number_actual_columns and value.
#}
{% test expect_table_column_count_to_equal(
    model,
    value
) %}

{%- if execute -%}
    {%- set column_count = adapter.get_columns_in_relation(model) | length -%}

with counted as (

    select
        {{ column_count }} as number_actual_columns,
        {{ value }} as value

),

final as (

    select * from counted
    where number_actual_columns != value

)

select * from final

{%- endif -%}

{% endtest %}
