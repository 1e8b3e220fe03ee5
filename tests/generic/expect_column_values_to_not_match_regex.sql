{#
    No value of the column matches regex anywhere in the string (Spark `rlike`, Java regex
    syntax): the opposite of expect_column_values_to_match_regex, with the same regex, is_raw
    and flags (a flag Java lacks is an error when the test compiles, naming the flag).
    Nulls pass. Returns the failing rows.
#}
{% test expect_column_values_to_not_match_regex(
    model,
    column_name,
    regex,
    row_condition=none,
    is_raw=false,
    flags=""
) %}

{#- Java's inline flags; checked when the test compiles (parsing leaves execute false). -#}
{%- set java_flags = "idmsuxU" -%}
{%- if execute -%}
    {%- for flag in (flags or "") if flag not in java_flags -%}
        {{ exceptions.raise_compiler_error(
            "expect_column_values_to_not_match_regex: unknown regex flag '" ~ flag
            ~ "'; Java regular expressions take " ~ java_flags | list | join(", ") ~ "."
        ) }}
    {%- endfor -%}
{%- endif -%}

{%- set pattern = regex -%}
{%- if is_raw -%}
    {%- set pattern = pattern | replace("\\", "\\\\") | replace("'", "\\'") -%}
{%- endif -%}
{%- if flags -%}
    {%- set pattern = "(?" ~ flags ~ ")" ~ pattern -%}
{%- endif -%}

with source_rows as (

    select * from {{ model }}
    {% if row_condition %}
    where {{ row_condition }}
    {% endif %}

),

final as (

    select * from source_rows
    where cast({{ column_name }} as string) rlike '{{ pattern }}'

)

select * from final

{% endtest %}
