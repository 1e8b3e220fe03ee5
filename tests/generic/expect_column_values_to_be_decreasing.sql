{#
    Ordered by sort_column (default: the column itself), each value of the column is less than
    the one before it (or equal, with strictly: false; strictly is true by default), per group
    of group_by when given. With step, the difference from the one before (previous - value)
    must be exactly step. Nulls pass, and so does the value after a null. Rows tied on
    sort_column follow in no set order, as in dbt-expectations. Returns the failing rows:
    sort_column, the group columns, value_field and value_field_lag (the value before).
#}
{% test expect_column_values_to_be_decreasing(
    model,
    column_name,
    sort_column=none,
    strictly=true,
    row_condition=none,
    group_by=none,
    step=none
) %}

{{ column_values_out_of_order(
    model, column_name, sort_column, strictly, row_condition, group_by, step, increasing=false
) }}

{% endtest %}
