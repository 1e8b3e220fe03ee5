{#
    Silver sales: one trusted, typed row per invoice. Prices at or above the configured quantile
    (p99 by default) of accepted sales are flagged for review, not dropped.
#}

{# A view over the checked rows: it follows their incremental merges with no write. #}
{{ config(materialized='view') }}

with

checked_sales as (

    select * from {{ ref('int_sales_checked') }}
    where outcome = 'accepted'

),

price_threshold as (

    {{ sales_price_outlier_threshold_sql(ref('int_sales_checked')) }}

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
        checked_sales._loaded_at,
        checked_sales._checked_at
    from checked_sales
    cross join price_threshold

)

select * from final
