{#
    The mean of the column's non-null values, over the model or per group of group_by, lies
    between min_value and max_value (inclusive unless strictly; either bound may be left
    out, not both): expression_between on avg(column). A group without values (null mean)
    passes. Returns one row per failing group: the group columns and the mean as `expression`.
#}
{% test expect_column_mean_to_be_between(
    model,
    column_name,
    min_value=none,
    max_value=none,
    group_by=none,
    row_condition=none,
    strictly=false
) %}

{{ test_expression_between(
    model,
    expression="avg(" ~ column_name ~ ")",
    min_value=min_value,
    max_value=max_value,
    group_by_columns=group_by,
    row_condition=row_condition,
    strictly=strictly
) }}

{% endtest %}
