{#
    No value of the column is null. Returns the failing rows.
#}
{% test expect_column_values_to_not_be_null(
    model,
    column_name,
    row_condition=none
) %}

with source_rows as (

    select * from {{ model }}
    {% if row_condition %}
    where {{ row_condition }}
    {% endif %}

),

final as (

    select * from source_rows
    where {{ column_name }} is null

)

select * from final

{% endtest %}
