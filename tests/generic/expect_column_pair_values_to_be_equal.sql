{#
    In each row column_A = column_B. Rows where either is null pass, as in dbt-expectations,
    whose test of this name takes no tolerance: a difference allowed between numbers is
    column_pair_values_within_tolerance, the project's own test. Returns the failing rows.
#}
{% test expect_column_pair_values_to_be_equal(
    model,
    column_A,
    column_B,
    row_condition=none
) %}

with source_rows as (

    select * from {{ model }}
    {% if row_condition %}
    where {{ row_condition }}
    {% endif %}

),

final as (

    select * from source_rows
    where not ({{ column_A }} = {{ column_B }})

)

select * from final

{% endtest %}
