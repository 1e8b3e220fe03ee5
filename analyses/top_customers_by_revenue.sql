{# The 20 customers with the highest revenue; ties go to the lower customer id. #}

with

sales_by_customer as (

    select * from {{ ref('sales_by_customer') }}

),

ranked as (

    select
        row_number() over (order by revenue_try desc, customer_id asc) as revenue_rank,
        customer_id,
        gender,
        age_band,
        payment_method,
        invoice_count,
        revenue_try,
        average_order_value_try
    from sales_by_customer

),

final as (

    select * from ranked
    where revenue_rank <= 20

)

select * from final
order by revenue_rank
