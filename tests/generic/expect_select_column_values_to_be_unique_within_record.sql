{#
    Within each row, the columns of column_list hold different values (rows may repeat one
    another). Values are compared as strings. ignore_row_if: "all_values_are_missing"
    (default) skips rows where every listed column is null, "any_value_is_missing" rows
    where any is. As in dbt-expectations, a null counts as no value, so with the default a row
    that has a null among values fails (it has fewer distinct values than columns).
    quote_columns quotes the names with backticks. Returns the failing rows with their number
    of distinct values as column_values.
#}
{% test expect_select_column_values_to_be_unique_within_record(
    model,
    column_list,
    quote_columns=false,
    ignore_row_if="all_values_are_missing",
    row_condition=none
) %}

{%- if not column_list or column_list is string -%}
    {{ exceptions.raise_compiler_error(
        "expect_select_column_values_to_be_unique_within_record: column_list must be a list"
        ~ " of column names."
    ) }}
{%- endif -%}
{%- if ignore_row_if not in ["all_values_are_missing", "any_value_is_missing"] -%}
    {{ exceptions.raise_compiler_error(
        "expect_select_column_values_to_be_unique_within_record: ignore_row_if must be"
        ~ " 'all_values_are_missing' or 'any_value_is_missing', not '" ~ ignore_row_if ~ "'."
    ) }}
{%- endif -%}

{%- set columns = [] -%}
{%- for column in column_list -%}
    {%- do columns.append(adapter.quote(column) if quote_columns else column) -%}
{%- endfor -%}
{%- set joiner = " and " if ignore_row_if == "all_values_are_missing" else " or " -%}
{%- set missing = [] -%}
{%- set values = [] -%}
{%- for column in columns -%}
    {%- do missing.append(column ~ " is null") -%}
    {%- do values.append("cast(" ~ column ~ " as string)") -%}
{%- endfor -%}

with source_rows as (

    select * from {{ model }}
    where
        not ({{ missing | join(joiner) }})
        {% if row_condition %}
        and ({{ row_condition }})
        {% endif %}

),

counted as (

    {#- array_distinct keeps a null as an element; filter drops it, like count(distinct). -#}
    select
        *,
        size(
            filter(array_distinct(array({{ values | join(", ") }})), value -> value is not null)
        ) as column_values
    from source_rows

),

final as (

    select * from counted
    where column_values < {{ columns | length }}

)

select * from final

{% endtest %}
