{#
    The length in characters of each value of the column equals value. Nulls pass.
    Returns the failing rows with their length as tested_value_length.
#}
{% test expect_column_value_lengths_to_equal(
    model,
    column_name,
    value,
    row_condition=none
) %}

with source_rows as (

    select * from {{ model }}
    {% if row_condition %}
    where {{ row_condition }}
    {% endif %}

),

measured as (

    select
        *,
        length(cast({{ column_name }} as string)) as tested_value_length
    from source_rows

),

final as (

    select * from measured
    where tested_value_length != {{ value }}

)

select * from final

{% endtest %}
