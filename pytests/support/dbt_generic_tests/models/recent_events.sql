{# Event times relative to now, for expect_row_values_to_have_recent_data. #}
with events as (

    select
        'web' as channel,
        current_timestamp() - interval 2 hours as event_at

    union all

    select
        'store' as channel,
        timestamp '2020-01-01 00:00:00' as event_at

    union all

    {# In the future: ignored, so it cannot make the stale 'store' channel look fresh. #}
    select
        'store' as channel,
        current_timestamp() + interval 1 day as event_at

),

final as (

    select * from events

)

select * from final
