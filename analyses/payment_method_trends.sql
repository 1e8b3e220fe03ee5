{#
    Payment method trends: per month and payment method of the customer, invoices, revenue,
    and the method's share (%) of the month's invoices.
#}

with

sales as (

    select * from {{ ref('fct_sales') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

per_method as (

    select
        cast(date_trunc('month', sales.invoice_date) as date) as month_start_date,
        customers.payment_method,
        count(*) as invoice_count,
        cast(sum(sales.amount_try) as decimal(18, 2)) as revenue_try
    from sales
    inner join customers
        on sales.customer_id = customers.customer_id
    group by
        cast(date_trunc('month', sales.invoice_date) as date),
        customers.payment_method

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
