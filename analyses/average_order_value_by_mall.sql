{# Average order value (revenue per invoice, TRY) and items per invoice by shopping mall. #}

with

monthly_sales as (

    select * from {{ ref('monthly_sales') }}

),

malls as (

    select * from {{ ref('dim_shopping_malls') }}

),

per_mall as (

    select
        shopping_mall,
        sum(invoice_count) as invoice_count,
        sum(item_count) as item_count,
        cast(sum(revenue_try) as decimal(18, 2)) as revenue_try
    from monthly_sales
    group by shopping_mall

),

final as (

    select
        malls.shopping_mall,
        malls.city_side,
        per_mall.invoice_count,
        per_mall.revenue_try,
        cast(per_mall.revenue_try / per_mall.invoice_count as decimal(12, 2))
            as average_order_value_try,
        cast(
            cast(per_mall.item_count as decimal(18, 2)) / per_mall.invoice_count
            as decimal(6, 2)
        ) as average_items_per_invoice
    from malls
    inner join per_mall
        on malls.shopping_mall = per_mall.shopping_mall

)

select * from final
order by average_order_value_try desc, shopping_mall asc
