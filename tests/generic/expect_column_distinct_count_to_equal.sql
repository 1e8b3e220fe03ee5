{#
    The number of distinct non-null values of the column equals value (per group of group_by
    columns, when given). Returns one row per failing group: the group columns, distinct_count
    and expected_distinct_count.
#}
{% test expect_column_distinct_count_to_equal(
    model,
    column_name,
    value,
    group_by=none,
    row_condition=none
) %}

{%- set group_columns = group_by or [] -%}

with source_rows as (

    select * from {{ model }}
    {% if row_condition %}
    where {{ row_condition }}
    {% endif %}

),

counted as (

    select
        {% for column in group_columns %}
        {{ column }},
        {% endfor %}
        {{ value }} as expected_distinct_count,
        count(distinct {{ column_name }}) as distinct_count
    from source_rows
    {% if group_columns %}
    group by {{ group_columns | join(", ") }}
    {% endif %}

),

final as (

    select * from counted
    where distinct_count != expected_distinct_count

)

select * from final

{% endtest %}
