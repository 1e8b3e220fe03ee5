{#
    In each row column_A = column_B. Rows where either is null pass, as in dbt-expectations.
    Extension (not in dbt-expectations' version of this test), for numeric columns:
    tolerance, the absolute difference allowed; tolerance_percent, the difference allowed
    relative to |column_A| as a fraction (0.05 for 5%). Given both, a row passes when it is
    within either, as in dbt-expectations' expect_table_aggregation_to_equal_other_table.
    Returns the failing rows with their absolute difference as tested_difference when a
    tolerance is given.
#}
{% test expect_column_pair_values_to_be_equal(
    model,
    column_A,
    column_B,
    row_condition=none,
    tolerance=none,
    tolerance_percent=none
) %}

{%- set has_tolerance = tolerance is not none or tolerance_percent is not none -%}

with source_rows as (

    select * from {{ model }}
    {% if row_condition %}
    where {{ row_condition }}
    {% endif %}

),

compared as (

    {% if has_tolerance %}
    select
        *,
        abs({{ column_A }} - {{ column_B }}) as tested_difference
    from source_rows
    {% else %}
    select * from source_rows
    {% endif %}

),

final as (

    select * from compared
    where
    {% if not has_tolerance %}
        not ({{ column_A }} = {{ column_B }})
    {% else %}
        not (
            false
            {% if tolerance is not none %}
            or tested_difference <= {{ tolerance }}
            {% endif %}
            {% if tolerance_percent is not none %}
            or tested_difference <= {{ tolerance_percent }} * abs({{ column_A }})
            {% endif %}
        )
    {% endif %}

)

select * from final

{% endtest %}
