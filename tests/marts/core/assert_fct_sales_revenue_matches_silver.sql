{#
    Reconciliation, gold against silver: fct_sales holds exactly the accepted invoices of
    int_sales_validated, with the same revenue and items. Returns one row describing the
    difference when invoices, items or revenue (TRY) differ.
#}
{{ config(severity='error') }}

with

silver_totals as (

    select
        count(*) as invoice_count,
        coalesce(sum(quantity), 0) as item_count,
        coalesce(sum(amount_try), 0) as revenue_try
    from {{ ref('int_sales_validated') }}

),

gold_totals as (

    select
        count(*) as invoice_count,
        coalesce(sum(quantity), 0) as item_count,
        coalesce(sum(amount_try), 0) as revenue_try
    from {{ ref('fct_sales') }}

),

final as (

    select
        silver_totals.invoice_count as silver_invoice_count,
        gold_totals.invoice_count as gold_invoice_count,
        silver_totals.item_count as silver_item_count,
        gold_totals.item_count as gold_item_count,
        silver_totals.revenue_try as silver_revenue_try,
        gold_totals.revenue_try as gold_revenue_try
    from silver_totals
    cross join gold_totals
    where
        silver_totals.invoice_count != gold_totals.invoice_count
        or silver_totals.item_count != gold_totals.item_count
        or silver_totals.revenue_try != gold_totals.revenue_try

)

select * from final
