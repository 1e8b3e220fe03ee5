{# Sales per month, shopping mall and category: the grain of most analyst questions. #}

with

sales as (

    select * from {{ ref('fct_sales') }}

),

final as (

    select
        cast(date_trunc('month', invoice_date) as date) as month_start_date,
        shopping_mall,
        category,
        count(*) as invoice_count,
        sum(quantity) as item_count,
        cast(sum(amount_try) as decimal(18, 2)) as revenue_try
    from sales
    group by 1, 2, 3

)

select * from final
