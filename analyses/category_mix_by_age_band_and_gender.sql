{#
    Category mix per age band and gender: invoices and revenue per category, and the
    category's share (%) of the revenue of its age band and gender.
#}

with

sales as (

    select * from {{ ref('fct_sales') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

per_category as (

    select
        customers.age_band,
        customers.gender,
        sales.category,
        count(*) as invoice_count,
        cast(sum(sales.amount_try) as decimal(18, 2)) as revenue_try
    from sales
    inner join customers
        on sales.customer_id = customers.customer_id
    group by customers.age_band, customers.gender, sales.category

),

final as (

    select
        age_band,
        gender,
        category,
        invoice_count,
        revenue_try,
        cast(
            100 * revenue_try / sum(revenue_try) over (partition by age_band, gender)
            as decimal(5, 2)
        ) as revenue_share_pct
    from per_category

)

select * from final
order by age_band, gender, category
