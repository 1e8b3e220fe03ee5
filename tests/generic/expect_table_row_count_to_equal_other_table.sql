{#
    The number of rows of the model equals factor times the number of rows of compare_model
    (for reconciliation of one layer against another). row_condition filters the model,
    compare_row_condition filters compare_model. Returns one row when the counts differ:
    model_row_count, compare_row_count, factor and expected_row_count.
    dbt-expectations' group_by/compare_group_by (counts per group) are not supported here.
#}
{% test expect_table_row_count_to_equal_other_table(
    model,
    compare_model,
    factor=1,
    row_condition=none,
    compare_row_condition=none
) %}

with model_rows as (

    select count(*) as model_row_count
    from {{ model }}
    {% if row_condition %}
    where {{ row_condition }}
    {% endif %}

),

compare_model_rows as (

    select count(*) as compare_row_count
    from {{ compare_model }}
    {% if compare_row_condition %}
    where {{ compare_row_condition }}
    {% endif %}

),

compared as (

    select
        model_rows.model_row_count,
        compare_model_rows.compare_row_count,
        {{ factor }} as factor,
        compare_model_rows.compare_row_count * {{ factor }} as expected_row_count
    from model_rows
    cross join compare_model_rows

),

final as (

    select * from compared
    where model_row_count != expected_row_count

)

select * from final

{% endtest %}
