{#
    Invoices flagged as price outliers (at or above the 99th percentile of accepted prices),
    with what the category's unit price says the invoice should cost, for a person to review.
#}

with

outliers as (

    select * from {{ ref('price_outlier_invoices') }}

),

final as (

    select
        invoice_no,
        invoice_date,
        shopping_mall,
        customer_id,
        category,
        quantity,
        unit_price_try,
        amount_try,
        cast(quantity * unit_price_try as decimal(12, 2)) as expected_amount_try,
        cast(amount_try - quantity * unit_price_try as decimal(12, 2)) as difference_try
    from outliers

)

select * from final
order by amount_try desc, invoice_no asc
