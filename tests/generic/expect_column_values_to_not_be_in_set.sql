{#
    No value of the column is one of value_set. Values are compared as quoted strings unless
    quote_values is false (then pasted as SQL literals). Nulls pass (a null equals nothing).
    Returns the failing rows.
#}
{% test expect_column_values_to_not_be_in_set(
    model,
    column_name,
    value_set,
    quote_values=true,
    row_condition=none
) %}

{%- if not value_set or value_set is string -%}
    {{ exceptions.raise_compiler_error(
        "expect_column_values_to_not_be_in_set: value_set must be a non-empty list."
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
    where {{ column_name }} in ({{ literals | join(", ") }})

)

select * from final

{% endtest %}
