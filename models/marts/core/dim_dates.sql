{# One row per calendar day from the first to the last invoice date in silver. #}

with

sales as (

    select * from {{ ref('int_sales_validated') }}

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

final as (

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

)

select * from final
