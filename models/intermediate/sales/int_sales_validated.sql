{#
    Silver sales: one trusted, typed row per invoice. Prices at or above the configured quantile
    (p99 by default) of accepted sales are flagged for review, not dropped.
#}

with

checked_sales as (

    select * from {{ ref('int_sales_checked') }}
    where outcome = 'accepted'

),

price_threshold as (

    select
        percentile(amount_try, {{ var('price_outlier_quantile') }}) as outlier_threshold_try
    from checked_sales

),

final as (

    select
        checked_sales.invoice_no_clean as invoice_no,
        checked_sales.customer_id_clean as customer_id,
        checked_sales.category_clean as category,
        checked_sales.shopping_mall_clean as shopping_mall,
        checked_sales.invoice_date_clean as invoice_date,
        checked_sales.quantity_clean as quantity,
        checked_sales.unit_price_try,
        checked_sales.amount_try,
        checked_sales.amount_try >= price_threshold.outlier_threshold_try as is_price_outlier,
        checked_sales._source_file,
        checked_sales._delivered_at,
        checked_sales._loaded_at
    from checked_sales
    cross join price_threshold

)

select * from final
