{#
    Each value of the column lies between min_value and max_value (inclusive unless strictly).
    Either bound may be left out, not both. Nulls pass, as in dbt-expectations.
    Returns the failing rows.
#}
{% test expect_column_values_to_be_between(
    model,
    column_name,
    min_value=none,
    max_value=none,
    row_condition=none,
    strictly=false
) %}

{%- if min_value is none and max_value is none -%}
    {{ exceptions.raise_compiler_error(
        "expect_column_values_to_be_between: give min_value, max_value or both."
    ) }}
{%- endif -%}

{%- set lower_operator = ">" if strictly else ">=" -%}
{%- set upper_operator = "<" if strictly else "<=" -%}

with source_rows as (

    select * from {{ model }}
    {% if row_condition %}
    where {{ row_condition }}
    {% endif %}

),

final as (

    select * from source_rows
    where
        not (
            true
            {% if min_value is not none %}
            and {{ column_name }} {{ lower_operator }} {{ min_value }}
            {% endif %}
            {% if max_value is not none %}
            and {{ column_name }} {{ upper_operator }} {{ max_value }}
            {% endif %}
        )

)

select * from final

{% endtest %}
