{#
    The model has the column (at position column_index, counted from 1, when given). Names
    are compared after transform, a Jinja filter applied to both sides ("upper" by default, so
    the comparison ignores case). Reads the relation's schema when the test runs, so a `where`
    config or row_condition has nothing to filter. Returns one row when the column is missing
    or elsewhere: column_name, column_position (0 when missing) and expected_position.
#}
{% test expect_column_to_exist(
    model,
    column_name,
    column_index=none,
    transform="upper"
) %}

{#- Parsing (execute false) has no relation to read; the query only matters when run. -#}
{%- if execute -%}
    {%- set wanted = [column_name] | map(transform) | first -%}
    {%- set names = adapter.get_columns_in_relation(model)
        | map(attribute="name") | map(transform) | list -%}
    {%- set position = names.index(wanted) + 1 if wanted in names else 0 -%}
    {#- As in dbt-expectations: an index of 0 or less means the first column. -#}
    {%- set expected_position = [column_index, 1] | max if column_index else none -%}

with checked as (

    select
        '{{ wanted }}' as column_name,
        {{ position }} as column_position,
        {{ expected_position if expected_position is not none else "cast(null as int)" }}
            as expected_position

),

final as (

    select * from checked
    where
        column_position = 0
        or column_position != coalesce(expected_position, column_position)

)

select * from final

{%- endif -%}

{% endtest %}
