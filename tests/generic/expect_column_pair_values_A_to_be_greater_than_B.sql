{#
    In each row column_A > column_B (>= with or_equal). Rows where either is null pass, as in
    dbt-expectations. Returns the failing rows.
#}
{% test expect_column_pair_values_A_to_be_greater_than_B(
    model,
    column_A,
    column_B,
    or_equal=false,
    row_condition=none
) %}

{%- set operator = ">=" if or_equal else ">" -%}

with source_rows as (

    select * from {{ model }}
    {% if row_condition %}
    where {{ row_condition }}
    {% endif %}

),

final as (

    select * from source_rows
    where not ({{ column_A }} {{ operator }} {{ column_B }})

)

select * from final

{% endtest %}
