{#
    The sales fact at invoice grain. Incremental: each build takes the invoices silver has
    rechecked since the fact's last load (`_checked_at` later than the fact's latest) and
    merges their accepted version on `invoice_no`, so a corrected invoice updates its row, a
    sale released by a late customer is added, and nothing else of the fact is read. A
    pre-hook first deletes the rechecked invoices silver no longer accepts
    (macros/delta/incremental_gold.sql); a post-hook re-flags price outliers when the
    threshold moved and records the threshold the flags follow
    (macros/delta/sales_price_outlier_threshold.sql). Partitioned by year and month of the
    invoice, so a merge rewrites only the months it touches and month filters skip the rest.
    Once merges have left more than a few files per month, another post-hook compacts the
    table and Z-orders it by the columns analysts filter on
    (macros/delta/optimize_if_fragmented).
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
        pre_hook=[
            "{% if is_incremental() %}"
            "{{ delete_stale_keys(this, ['invoice_no'], keys_no_longer_accepted_sql(
                this, ref('int_sales_checked'), 'invoice_no'
            )) }}"
            "{% endif %}",
        ],
        post_hook=[
            "{{ reflag_price_outliers(this, ref('int_sales_checked')) }}",
            "{{ optimize_if_fragmented(this, ['shopping_mall', 'category']) }}",
        ]
    )
}}

-- depends_on: {{ ref('int_sales_checked') }}

with

sales as (

    select * from {{ ref('int_sales_validated') }}

),

{% if is_incremental() %}
rechecked_invoices as (

    {{ rechecked_invoices_sql(this) }}

),

changed_sales as (

    select sales.*
    from sales
    where sales.invoice_no in (select rechecked_invoices.invoice_no from rechecked_invoices)

),
{% else %}
changed_sales as (

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
        _delivered_at,
        _checked_at
    from changed_sales

)

select * from final
