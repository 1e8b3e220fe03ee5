{#
    The number of rows of the model (matching row_condition), or of each group of group_by,
    lies between min_value and max_value (inclusive unless strictly; either bound may be
    left out, not both): expression_between on count(*). An empty model is 0 rows, and fails
    a min_value above 0 (without group_by: with it, an empty model has no group to fail).
    Returns one row per failing group: the group columns and the count as `expression`.
#}
{% test expect_table_row_count_to_be_between(
    model,
    min_value=none,
    max_value=none,
    group_by=none,
    row_condition=none,
    strictly=false
) %}

{{ test_expression_between(
    model,
    expression="count(*)",
    min_value=min_value,
    max_value=max_value,
    group_by_columns=group_by,
    row_condition=row_condition,
    strictly=strictly
) }}

{% endtest %}
