{#
    One row per calendar day from the first to the last invoice date of the sales fact.
    Incremental: a build merges the days the range gained and a pre-hook deletes the days it
    lost, so a build that moves neither end writes nothing.
#}

{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='date_day',
        on_schema_change='fail',
        pre_hook=[
            "{% if is_incremental() %}"
            "{{ delete_stale_keys(this, ['date_day'], days_out_of_range_sql(this, ref('fct_sales'))) }}"
            "{% endif %}",
        ],
    )
}}

with

sales as (

    select * from {{ ref('fct_sales') }}

),

date_range as (

    select
        min(invoice_date) as first_date,
        max(invoice_date) as last_date
    from sales

),

day_offsets as (

    {# A sequence of integers, not of dates: date sequences fail over the Thrift server. #}
    select
        first_date,
        explode(sequence(0, datediff(last_date, first_date))) as day_offset
    from date_range

),

days as (

    select date_add(first_date, day_offset) as date_day
    from day_offsets

),

all_days as (

    select
        date_day,
        year(date_day) as year_number,
        quarter(date_day) as quarter_number,
        month(date_day) as month_number,
        date_format(date_day, 'MMMM') as month_name,
        weekofyear(date_day) as iso_week_number,
        {# Monday = 1 ... Sunday = 7 (ISO) #}
        (dayofweek(date_day) + 5) % 7 + 1 as iso_day_of_week,
        date_format(date_day, 'EEEE') as day_name,
        dayofweek(date_day) in (1, 7) as is_weekend,
        cast(date_trunc('month', date_day) as date) as month_start_date
    from days

),

final as (

    select * from all_days
    {% if is_incremental() %}
    {# Only the days the range gained. #}
    except
    select * from {{ this }}
    {% endif %}

)

select * from final
