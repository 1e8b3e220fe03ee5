{#
    Payment method trends: per month and payment method of the customer, invoices, revenue,
    and the method's share (%) of the month's invoices.
#}

with

sales_by_segment as (

    select * from {{ ref('sales_by_segment') }}

),

per_method as (

    select
        month_start_date,
        payment_method,
        sum(invoice_count) as invoice_count,
        cast(sum(revenue_try) as decimal(18, 2)) as revenue_try
    from sales_by_segment
    group by month_start_date, payment_method

),

final as (

    select
        month_start_date,
        payment_method,
        invoice_count,
        revenue_try,
        cast(
            100.0 * invoice_count / sum(invoice_count) over (partition by month_start_date)
            as decimal(5, 2)
        ) as invoice_share_pct
    from per_method

)

select * from final
order by month_start_date, payment_method
