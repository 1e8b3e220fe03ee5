{#
    The SQL expression lies between min_value and max_value (inclusive unless strictly; either
    bound may be left out, not both), for each row, or for each group of group_by_columns
    when the expression is an aggregate. The aggregate tests (row count, mean, min, max, sum)
    are this test with their expression, as in dbt-expectations. A null value passes. Returns
    one row per failing row or group: the group columns and the value as `expression`.
#}
{% test expression_between(
    model,
    expression,
    min_value=none,
    max_value=none,
    group_by_columns=none,
    row_condition=none,
    strictly=false
) %}

{%- if min_value is none and max_value is none -%}
    {{ exceptions.raise_compiler_error(
        "expression_between (" ~ expression ~ "): give min_value, max_value or both."
    ) }}
{%- endif -%}

{%- set group_columns = group_by_columns or [] -%}
{%- set lower_operator = ">" if strictly else ">=" -%}
{%- set upper_operator = "<" if strictly else "<=" -%}

with source_rows as (

    select * from {{ model }}
    {% if row_condition %}
    where {{ row_condition }}
    {% endif %}

),

evaluated as (

    select
        {% for column in group_columns %}
        {{ column }},
        {% endfor %}
        {{ expression }} as expression
    from source_rows
    {% if group_columns %}
    group by {{ group_columns | join(", ") }}
    {% endif %}

),

final as (

    select * from evaluated
    where
        not (
            true
            {% if min_value is not none %}
            and expression {{ lower_operator }} {{ min_value }}
            {% endif %}
            {% if max_value is not none %}
            and expression {{ upper_operator }} {{ max_value }}
            {% endif %}
        )

)

select * from final

{% endtest %}
