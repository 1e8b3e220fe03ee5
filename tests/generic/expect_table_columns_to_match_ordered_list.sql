{#
    The model's columns are exactly column_list, in that order. Names are compared after
    transform, a Jinja filter applied to both sides ("upper" by default: case is ignored).
    Reads the relation's schema when the test runs. Returns one row per mismatch: a column of
    the model that is not at its listed position (relation_column, relation_column_position)
    and a listed column that is not at its position in the model (input_column,
    input_column_position); a swap of two columns is four rows, as in dbt-expectations.
#}
{% test expect_table_columns_to_match_ordered_list(
    model,
    column_list,
    transform="upper"
) %}

{%- if column_list is string or not column_list -%}
    {{ exceptions.raise_compiler_error(
        "expect_table_columns_to_match_ordered_list: column_list must be a list of column names."
    ) }}
{%- endif -%}

{%- if execute -%}
    {%- set relation_names = adapter.get_columns_in_relation(model)
        | map(attribute="name") | map(transform) | list -%}
    {%- set input_names = column_list | map(transform) | list -%}

with relation_columns as (

    {% for name in relation_names %}
    {% if not loop.first %}union all{% endif %}
    select
        {{ loop.index }} as relation_column_position,
        '{{ name }}' as relation_column
    {% endfor %}

),

input_columns as (

    {% for name in input_names %}
    {% if not loop.first %}union all{% endif %}
    select
        {{ loop.index }} as input_column_position,
        '{{ name }}' as input_column
    {% endfor %}

),

final as (

    select
        relation_columns.relation_column,
        relation_columns.relation_column_position,
        input_columns.input_column,
        input_columns.input_column_position
    from relation_columns
    full outer join input_columns
        on relation_columns.relation_column = input_columns.input_column
        and relation_columns.relation_column_position = input_columns.input_column_position
    where relation_columns.relation_column is null or input_columns.input_column is null

)

select * from final

{%- endif -%}

{% endtest %}
