{#
    No non-null value of the column occurs twice: expect_compound_columns_to_be_unique on the
    one column, as in dbt-expectations (nulls are skipped). Returns one row per duplicated
    value, with its count as n_records.
#}
{% test expect_column_values_to_be_unique(
    model,
    column_name,
    row_condition=none
) %}

{{ test_expect_compound_columns_to_be_unique(
    model, [column_name], row_condition=row_condition
) }}

{% endtest %}
