{#
    The p99 rule of the analysis: an accepted sale is flagged `is_price_outlier` exactly when
    its amount is at or above the `price_outlier_quantile` (0.99) quantile of accepted amounts.
    Returns the rows whose flag disagrees.
#}

with

sales as (

    select * from {{ ref('int_sales_validated') }}

),

price_threshold as (

    select percentile(amount_try, {{ var('price_outlier_quantile') }}) as outlier_threshold_try
    from sales

),

final as (

    select
        sales.invoice_no,
        sales.amount_try,
        sales.is_price_outlier,
        price_threshold.outlier_threshold_try
    from sales
    cross join price_threshold
    where sales.is_price_outlier != (sales.amount_try >= price_threshold.outlier_threshold_try)

)

select * from final
