with

customers as (

    select * from {{ ref('int_customers_validated') }}

),

sales as (

    select * from {{ ref('int_sales_validated') }}

),

purchases as (

    select
        customer_id,
        min(invoice_date) as first_purchase_date,
        max(invoice_date) as last_purchase_date
    from sales
    group by customer_id

),

final as (

    select
        customers.customer_id,
        customers.gender,
        customers.age,
        customers.age_band,
        customers.payment_method,
        purchases.first_purchase_date,
        purchases.last_purchase_date
    from customers
    left join purchases
        on customers.customer_id = purchases.customer_id

)

select * from final
