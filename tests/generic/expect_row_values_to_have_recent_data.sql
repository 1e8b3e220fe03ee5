{#
    The newest value of the column (a timestamp or date; values in the future are ignored) is
    no older than `interval` `datepart`s before now (Spark's current_timestamp(), UTC on the
    project's server). datepart: year, quarter, month, week, day, hour, minute or second.
    A model with no rows (after row_condition) fails. Returns one row when the data are stale:
    the newest timestamp found and the oldest one allowed.
#}
{% test expect_row_values_to_have_recent_data(
    model,
    column_name,
    datepart,
    interval,
    row_condition=none
) %}

{%- set dateparts = ["year", "quarter", "month", "week", "day", "hour", "minute", "second"] -%}
{%- if datepart | lower not in dateparts -%}
    {{ exceptions.raise_compiler_error(
        "expect_row_values_to_have_recent_data: datepart must be one of "
        ~ dateparts | join(", ") ~ ", not '" ~ datepart ~ "'."
    ) }}
{%- endif -%}

with source_rows as (

    select cast({{ column_name }} as timestamp) as tested_at
    from {{ model }}
    where
        cast({{ column_name }} as timestamp) <= current_timestamp()
        {% if row_condition %}
        and ({{ row_condition }})
        {% endif %}

),

newest as (

    select
        max(tested_at) as newest_at,
        timestampadd({{ datepart | lower }}, -{{ interval }}, current_timestamp())
            as oldest_allowed_at
    from source_rows

),

final as (

    select * from newest
    where coalesce(newest_at, timestamp '1970-01-01 00:00:00') < oldest_allowed_at

)

select * from final

{% endtest %}
