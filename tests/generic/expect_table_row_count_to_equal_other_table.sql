{#
    The number of rows of the model equals factor times the number of rows of compare_model
    (for reconciliation of one layer against another), in total or per group. row_condition
    filters the model; compare_row_condition filters compare_model and defaults to
    row_condition; group_by counts per group of the model's columns, compare_group_by per
    group of compare_model's (default group_by), matched by position. As in dbt-expectations,
    groups are matched with `=`, so a group whose key is null never finds its counterpart and
    fails. Returns one row per failing group: the group columns (the model's names),
    model_row_count, compare_row_count, factor and expected_row_count.
#}
{% test expect_table_row_count_to_equal_other_table(
    model,
    compare_model,
    group_by=none,
    compare_group_by=none,
    factor=1,
    row_condition=none,
    compare_row_condition=none
) %}

{%- set compare_row_condition = compare_row_condition or row_condition -%}
{%- set model_groups = group_by or [] -%}
{%- set compare_groups = compare_group_by or model_groups -%}
{%- if model_groups | length != compare_groups | length -%}
    {{ exceptions.raise_compiler_error(
        "expect_table_row_count_to_equal_other_table: group_by and compare_group_by must"
        ~ " name as many columns."
    ) }}
{%- endif -%}

with model_rows as (

    select
        {% for column in model_groups %}
        {{ column }} as group_{{ loop.index }},
        {% endfor %}
        count(*) as model_row_count
    from {{ model }}
    {% if row_condition %}
    where {{ row_condition }}
    {% endif %}
    {% if model_groups %}
    group by {{ model_groups | join(", ") }}
    {% endif %}

),

compare_model_rows as (

    select
        {% for column in compare_groups %}
        {{ column }} as group_{{ loop.index }},
        {% endfor %}
        count(*) as compare_row_count
    from {{ compare_model }}
    {% if compare_row_condition %}
    where {{ compare_row_condition }}
    {% endif %}
    {% if compare_groups %}
    group by {{ compare_groups | join(", ") }}
    {% endif %}

),

compared as (

    {#- A group missing on one side counts 0 rows there. -#}
    select
        {% for column in model_groups %}
        coalesce(model_rows.group_{{ loop.index }}, compare_model_rows.group_{{ loop.index }})
            as {{ column }},
        {% endfor %}
        coalesce(model_rows.model_row_count, 0) as model_row_count,
        coalesce(compare_model_rows.compare_row_count, 0) as compare_row_count,
        {{ factor }} as factor,
        coalesce(compare_model_rows.compare_row_count, 0) * {{ factor }} as expected_row_count
    from model_rows
    {% if model_groups %}
    full outer join compare_model_rows
        on
        {% for column in model_groups %}
            {% if not loop.first %}and {% endif -%}
            model_rows.group_{{ loop.index }} = compare_model_rows.group_{{ loop.index }}
        {% endfor %}
    {% else %}
    cross join compare_model_rows
    {% endif %}

),

final as (

    select * from compared
    where model_row_count != expected_row_count

)

select * from final

{% endtest %}
