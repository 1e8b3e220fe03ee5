{#
    The given quantile (0-1) of the column's non-null values lies between min_value and
    max_value (inclusive unless strictly; either bound may be left out, not both), per group
    of group_by columns when given. The quantile is exact and interpolated (Spark
    `percentile`, the same as percentile_cont in dbt-expectations); approximate: true uses
    `percentile_approx` instead, cheaper on big tables and returning an actual value of the
    column. Returns one row per failing group: the group columns, tested_quantile and
    quantile_value.
#}
{% test expect_column_quantile_values_to_be_between(
    model,
    column_name,
    quantile,
    min_value=none,
    max_value=none,
    group_by=none,
    row_condition=none,
    strictly=false,
    approximate=false
) %}

{%- if min_value is none and max_value is none -%}
    {{ exceptions.raise_compiler_error(
        "expect_column_quantile_values_to_be_between: give min_value, max_value or both."
    ) }}
{%- endif -%}

{%- set group_columns = group_by or [] -%}
{%- set lower_operator = ">" if strictly else ">=" -%}
{%- set upper_operator = "<" if strictly else "<=" -%}
{%- set quantile_function = "percentile_approx" if approximate else "percentile" -%}

with source_rows as (

    select * from {{ model }}
    {% if row_condition %}
    where {{ row_condition }}
    {% endif %}

),

measured as (

    select
        {% for column in group_columns %}
        {{ column }},
        {% endfor %}
        {{ quantile }} as tested_quantile,
        {{ quantile_function }}({{ column_name }}, {{ quantile }}) as quantile_value
    from source_rows
    {% if group_columns %}
    group by {{ group_columns | join(", ") }}
    {% endif %}

),

final as (

    select * from measured
    where
        not (
            true
            {% if min_value is not none %}
            and quantile_value {{ lower_operator }} {{ min_value }}
            {% endif %}
            {% if max_value is not none %}
            and quantile_value {{ upper_operator }} {{ max_value }}
            {% endif %}
        )

)

select * from final

{% endtest %}
