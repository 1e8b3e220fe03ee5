{#
    The sales fact at invoice grain. Incremental: each run merges the invoices of deliveries
    newer than the last one loaded, so a re-delivered (corrected) invoice updates its row
    instead of adding a second one. Partitioned by year and month of the invoice, so a merge
    rewrites only the files of the months it touches and month filters skip the rest.
    The merge sees only the new deliveries; a post-hook then deletes invoices that silver no
    longer accepts (a later version was quarantined) and re-flags price outliers against the
    current threshold (macros/delta/sync_fact_with_silver). Once merges have left more than a
    few files per month, another compacts the table and Z-orders it by the columns analysts
    filter on (macros/delta/optimize_if_fragmented).
#}

{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='invoice_no',
        partition_by=['invoice_year', 'invoice_month'],
        on_schema_change='fail',
        tblproperties={
            'delta.autoOptimize.optimizeWrite': 'true'
        },
        post_hook=[
            "{% if is_incremental() %}"
            "{{ sync_fact_with_silver(this, ref('int_sales_validated')) }}"
            "{% endif %}",
            "{{ optimize_if_fragmented(
                this, ['invoice_year', 'invoice_month'], ['shopping_mall', 'category']
            ) }}",
        ]
    )
}}

with

sales as (

    select * from {{ ref('int_sales_validated') }}

),

{% if is_incremental() %}
loaded as (

    select coalesce(max(_delivered_at), timestamp '1970-01-01') as last_delivered_at
    from {{ this }}

),

new_deliveries as (

    select sales.*
    from sales
    cross join loaded
    where sales._delivered_at > loaded.last_delivered_at

),
{% else %}
new_deliveries as (

    select * from sales

),
{% endif %}

final as (

    select
        invoice_no,
        customer_id,
        category,
        shopping_mall,
        invoice_date,
        quantity,
        unit_price_try,
        amount_try,
        is_price_outlier,
        year(invoice_date) as invoice_year,
        month(invoice_date) as invoice_month,
        _source_file,
        _delivered_at
    from new_deliveries

)

select * from final
