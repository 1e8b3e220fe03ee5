{#
    Each value of the column matches the SQL `like` pattern (% any characters, _ one
    character; the whole value must match). Nulls pass. Returns the failing rows.
#}
{% test expect_column_values_to_match_like_pattern(
    model,
    column_name,
    like_pattern,
    row_condition=none
) %}

{%- set pattern = like_pattern | replace("\\", "\\\\") | replace("'", "\\'") -%}

with source_rows as (

    select * from {{ model }}
    {% if row_condition %}
    where {{ row_condition }}
    {% endif %}

),

final as (

    select * from source_rows
    where not (cast({{ column_name }} as string) like '{{ pattern }}')

)

select * from final

{% endtest %}
