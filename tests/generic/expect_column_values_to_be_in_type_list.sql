{#
    The column's data type, as Spark describes it (int, bigint, string, decimal(10,2), date,
    timestamp, ...), is one of column_type_list. Compared without case and spaces
    ("Decimal(10, 2)" is decimal(10,2)). As in dbt-expectations, a column the model lacks
    passes: pair with expect_column_to_exist. Reads the relation's schema when the test runs.
    Returns one row when the type is not listed: column_name and column_type.
#}
{% test expect_column_values_to_be_in_type_list(
    model,
    column_name,
    column_type_list
) %}

{%- if column_type_list is string or not column_type_list -%}
    {{ exceptions.raise_compiler_error(
        "expect_column_values_to_be_in_type_list: column_type_list must be a list of types."
    ) }}
{%- endif -%}

{%- if execute -%}
    {%- set allowed = [] -%}
    {%- for column_type in column_type_list -%}
        {%- do allowed.append(column_type | upper | replace(" ", "")) -%}
    {%- endfor -%}
    {%- set found = [] -%}
    {%- for column in adapter.get_columns_in_relation(model)
        if column.name | upper == column_name | upper -%}
        {%- do found.append(column) -%}
    {%- endfor -%}

with relation_columns as (

    {% for column in found %}
    select
        '{{ column.name }}' as column_name,
        '{{ column.dtype | upper | replace(" ", "") }}' as column_type
    {% else %}
    {#- The column is missing: nothing to judge. -#}
    select
        cast(null as string) as column_name,
        cast(null as string) as column_type
    where false
    {% endfor %}

),

final as (

    select * from relation_columns
    where column_type not in ('{{ allowed | join("', '") }}')

)

select * from final

{%- endif -%}

{% endtest %}
