{#
    The length in characters of each value of the column lies between min_value and max_value
    (inclusive unless strictly). Either bound may be left out, not both. Nulls pass.
    Returns the failing rows with their length as tested_value_length.
#}
{% test expect_column_value_lengths_to_be_between(
    model,
    column_name,
    min_value=none,
    max_value=none,
    row_condition=none,
    strictly=false
) %}

{%- if min_value is none and max_value is none -%}
    {{ exceptions.raise_compiler_error(
        "expect_column_value_lengths_to_be_between: give min_value, max_value or both."
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

measured as (

    select
        *,
        length(cast({{ column_name }} as string)) as tested_value_length
    from source_rows

),

final as (

    select * from measured
    where
        not (
            true
            {% if min_value is not none %}
            and tested_value_length {{ lower_operator }} {{ min_value }}
            {% endif %}
            {% if max_value is not none %}
            and tested_value_length {{ upper_operator }} {{ max_value }}
            {% endif %}
        )

)

select * from final

{% endtest %}
