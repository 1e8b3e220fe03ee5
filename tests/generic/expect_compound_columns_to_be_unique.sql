{#
    The combination of the columns in column_list is unique (a multi-column key).
    ignore_row_if: "all_values_are_missing" (default) skips rows where every listed column is
    null; "any_value_is_missing" skips rows where any of them is null. quote_columns quotes
    the names with backticks. Returns one row per duplicated combination, with n_records.
#}
{% test expect_compound_columns_to_be_unique(
    model,
    column_list,
    quote_columns=false,
    ignore_row_if="all_values_are_missing",
    row_condition=none
) %}

{%- if not column_list or column_list is string -%}
    {{ exceptions.raise_compiler_error(
        "expect_compound_columns_to_be_unique: column_list must be a list of column names."
    ) }}
{%- endif -%}
{%- if ignore_row_if not in ["all_values_are_missing", "any_value_is_missing"] -%}
    {{ exceptions.raise_compiler_error(
        "expect_compound_columns_to_be_unique: ignore_row_if must be 'all_values_are_missing'"
        ~ " or 'any_value_is_missing', not '" ~ ignore_row_if ~ "'."
    ) }}
{%- endif -%}

{%- set columns = [] -%}
{%- for column in column_list -%}
    {%- do columns.append(adapter.quote(column) if quote_columns else column) -%}
{%- endfor -%}
{%- set joiner = " and " if ignore_row_if == "all_values_are_missing" else " or " -%}
{%- set missing = [] -%}
{%- for column in columns -%}
    {%- do missing.append(column ~ " is null") -%}
{%- endfor -%}

with source_rows as (

    select * from {{ model }}
    where
        not ({{ missing | join(joiner) }})
        {% if row_condition %}
        and ({{ row_condition }})
        {% endif %}

),

final as (

    select
        {% for column in columns %}
        {{ column }},
        {% endfor %}
        count(*) as n_records
    from source_rows
    group by {{ columns | join(", ") }}
    having count(*) > 1

)

select * from final

{% endtest %}
