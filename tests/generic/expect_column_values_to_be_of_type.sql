{#
    The column's data type, as Spark describes it, is column_type (compared without case and
    spaces): expect_column_values_to_be_in_type_list with a list of one, as in
    dbt-expectations (a column the model lacks passes). Returns one row when the type differs:
    column_name and column_type.
#}
{% test expect_column_values_to_be_of_type(
    model,
    column_name,
    column_type
) %}

{{ test_expect_column_values_to_be_in_type_list(model, column_name, [column_type]) }}

{% endtest %}
