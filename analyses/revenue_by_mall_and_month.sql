{# Revenue by shopping mall and month: invoices, items and revenue (TRY). #}

with

monthly_sales as (

    select * from {{ ref('monthly_sales') }}

),

final as (

    select
        month_start_date,
        shopping_mall,
        sum(invoice_count) as invoice_count,
        sum(item_count) as item_count,
        cast(sum(revenue_try) as decimal(18, 2)) as revenue_try
    from monthly_sales
    group by month_start_date, shopping_mall

)

select * from final
order by month_start_date, shopping_mall
