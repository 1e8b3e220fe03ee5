{#
    The model's number of columns lies between min_value and max_value, inclusive (either
    bound may be left out, not both). Reads the relation's schema when the test runs. Returns
    one row when it does not: number_actual_columns, min_value and max_value.
#}
{% test expect_table_column_count_to_be_between(
    model,
    min_value=none,
    max_value=none
) %}

{%- if min_value is none and max_value is none -%}
    {{ exceptions.raise_compiler_error(
        "expect_table_column_count_to_be_between: give min_value, max_value or both."
    ) }}
{%- endif -%}

{%- if execute -%}
    {%- set column_count = adapter.get_columns_in_relation(model) | length -%}

with counted as (

    select
        {{ column_count }} as number_actual_columns,
        {{ min_value if min_value is not none else "cast(null as int)" }} as min_value,
        {{ max_value if max_value is not none else "cast(null as int)" }} as max_value

),

final as (

    select * from counted
    where
        number_actual_columns < coalesce(min_value, number_actual_columns)
        or number_actual_columns > coalesce(max_value, number_actual_columns)

)

select * from final

{%- endif -%}

{% endtest %}
