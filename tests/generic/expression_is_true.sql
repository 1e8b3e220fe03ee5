{#
    The SQL expression, followed by test_condition, holds for each row (or, with
    group_by_columns, for each group: the expression is then an aggregate such as sum(x)).
    A null result passes, as in dbt-expectations (`not (null)` is not true). Returns the
    failing rows with the expression's value as `expression` (per row: the row's columns too;
    dbt-expectations returns the value alone).
#}
{% test expression_is_true(
    model,
    expression,
    test_condition="= true",
    group_by_columns=none,
    row_condition=none
) %}

{%- set group_columns = group_by_columns or [] -%}

with source_rows as (

    select * from {{ model }}
    {% if row_condition %}
    where {{ row_condition }}
    {% endif %}

),

evaluated as (

    select
        {% if group_columns %}
        {% for column in group_columns %}
        {{ column }},
        {% endfor %}
        {% else %}
        *,
        {% endif %}
        {{ expression }} as expression
    from source_rows
    {% if group_columns %}
    group by {{ group_columns | join(", ") }}
    {% endif %}

),

final as (

    select * from evaluated
    where not (expression {{ test_condition }})

)

select * from final

{% endtest %}
