{#
    The project's own test (dbt-expectations has no such row-level check): in each row the
    numbers column_A and column_B differ by at most the larger of tolerance (an absolute
    difference) and tolerance_percent x |column_A| (a fraction: 0.005 for 0.5%). Give either or
    both; with both, a row passes when it is within either. Rows where either is null pass.
    Returns the failing rows with tested_difference and allowed_difference.
#}
{% test column_pair_values_within_tolerance(
    model,
    column_A,
    column_B,
    tolerance=none,
    tolerance_percent=none,
    row_condition=none
) %}

{%- if tolerance is none and tolerance_percent is none -%}
    {{ exceptions.raise_compiler_error(
        "column_pair_values_within_tolerance: give tolerance, tolerance_percent or both."
    ) }}
{%- endif -%}

{#- A bound left out allows nothing, so the other one decides. -#}
{%- set absolute_allowed = tolerance if tolerance is not none else 0 -%}
{%- set relative_allowed = tolerance_percent if tolerance_percent is not none else 0 -%}

with source_rows as (

    select * from {{ model }}
    {% if row_condition %}
    where {{ row_condition }}
    {% endif %}

),

measured as (

    select
        *,
        abs({{ column_A }} - {{ column_B }}) as tested_difference,
        greatest(
            {{ absolute_allowed }}, {{ relative_allowed }} * abs({{ column_A }})
        ) as allowed_difference
    from source_rows

),

final as (

    select * from measured
    where tested_difference > allowed_difference

)

select * from final

{% endtest %}
