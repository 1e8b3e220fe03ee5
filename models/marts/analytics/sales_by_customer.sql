{#
    The analysts' customer table of the original design: one row per customer who bought,
    with totals, first and last purchase, and favourite category and mall (most invoices;
    ties go to the higher revenue, then alphabetical order).
#}

with

sales as (

    select * from {{ ref('fct_sales') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

totals as (

    select
        customer_id,
        count(*) as invoice_count,
        sum(quantity) as item_count,
        cast(sum(amount_try) as decimal(18, 2)) as revenue_try,
        min(invoice_date) as first_purchase_date,
        max(invoice_date) as last_purchase_date
    from sales
    group by customer_id

),

category_ranked as (

    select
        customer_id,
        category,
        row_number() over (
            partition by customer_id
            order by count(*) desc, sum(amount_try) desc, category
        ) as category_rank
    from sales
    group by customer_id, category

),

mall_ranked as (

    select
        customer_id,
        shopping_mall,
        row_number() over (
            partition by customer_id
            order by count(*) desc, sum(amount_try) desc, shopping_mall
        ) as mall_rank
    from sales
    group by customer_id, shopping_mall

),

final as (

    select
        totals.customer_id,
        customers.gender,
        customers.age_band,
        customers.payment_method,
        totals.invoice_count,
        totals.item_count,
        totals.revenue_try,
        cast(totals.revenue_try / totals.invoice_count as decimal(12, 2))
            as average_order_value_try,
        totals.first_purchase_date,
        totals.last_purchase_date,
        category_ranked.category as favourite_category,
        mall_ranked.shopping_mall as favourite_shopping_mall
    from totals
    inner join customers
        on totals.customer_id = customers.customer_id
    inner join category_ranked
        on
            totals.customer_id = category_ranked.customer_id
            and category_ranked.category_rank = 1
    inner join mall_ranked
        on
            totals.customer_id = mall_ranked.customer_id
            and mall_ranked.mall_rank = 1

)

select * from final
