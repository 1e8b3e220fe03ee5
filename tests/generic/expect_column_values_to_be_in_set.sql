{#
    Each value of the column is one of value_set. Values are compared as quoted strings unless
    quote_values is false (then they are pasted as SQL literals: numbers, booleans, dates
    written as expressions). As in dbt-expectations, a null value is not in any set and fails;
    exclude nulls with row_condition: "<column> is not null".
    Returns the failing rows.
#}
{% test expect_column_values_to_be_in_set(
    model,
    column_name,
    value_set,
    quote_values=true,
    row_condition=none
) %}

{%- if not value_set -%}
    {{ exceptions.raise_compiler_error(
        "expect_column_values_to_be_in_set: value_set must be a non-empty list."
    ) }}
{%- endif -%}

{%- set literals = [] -%}
{%- for value in value_set -%}
    {%- if quote_values -%}
        {%- do literals.append("'" ~ (value | string | replace("\\", "\\\\")
            | replace("'", "\\'")) ~ "'") -%}
    {%- else -%}
        {%- do literals.append(value | string) -%}
    {%- endif -%}
{%- endfor -%}

with source_rows as (

    select * from {{ model }}
    {% if row_condition %}
    where {{ row_condition }}
    {% endif %}

),

final as (

    select * from source_rows
    where not coalesce({{ column_name }} in ({{ literals | join(", ") }}), false)

)

select * from final

{% endtest %}
