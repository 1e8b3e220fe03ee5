{#
    For each group of group_by, the newest value of timestamp_column (a timestamp or date;
    values in the future are ignored) is no older than interval datepart(s) before now
    (Spark's current_timestamp(), UTC on the project's server). As in dbt-expectations, only
    groups with rows are judged: a group that has vanished, or an empty model, passes (unlike
    expect_row_values_to_have_recent_data; pair with expect_table_row_count_to_be_between to
    catch an empty model). Returns one row per stale group: the group columns, newest_at and
    oldest_allowed_at.
#}
{% test expect_grouped_row_values_to_have_recent_data(
    model,
    group_by,
    timestamp_column,
    datepart,
    interval,
    row_condition=none
) %}

{%- set dateparts = ["year", "quarter", "month", "week", "day", "hour", "minute", "second"] -%}
{%- if datepart | lower not in dateparts -%}
    {{ exceptions.raise_compiler_error(
        "expect_grouped_row_values_to_have_recent_data: datepart must be one of "
        ~ dateparts | join(", ") ~ ", not '" ~ datepart ~ "'."
    ) }}
{%- endif -%}
{%- if not group_by or group_by is string -%}
    {{ exceptions.raise_compiler_error(
        "expect_grouped_row_values_to_have_recent_data: group_by must be a list of columns."
    ) }}
{%- endif -%}

with source_rows as (

    select
        {% for column in group_by %}
        {{ column }},
        {% endfor %}
        cast({{ timestamp_column }} as timestamp) as tested_at
    from {{ model }}
    where
        cast({{ timestamp_column }} as timestamp) <= current_timestamp()
        {% if row_condition %}
        and ({{ row_condition }})
        {% endif %}

),

newest as (

    select
        {% for column in group_by %}
        {{ column }},
        {% endfor %}
        max(tested_at) as newest_at,
        timestampadd({{ datepart | lower }}, -{{ interval }}, current_timestamp())
            as oldest_allowed_at
    from source_rows
    group by {{ group_by | join(", ") }}

),

final as (

    select * from newest
    where newest_at < oldest_allowed_at

)

select * from final

{% endtest %}
