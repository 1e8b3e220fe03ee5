{#
    The invoices the fact flags as price outliers, for review: about 1% of the sales, so an
    analyst reads this table instead of scanning the whole fact for the flag.

    Incremental (macros/delta/sales_price_outlier_threshold.sql): each row keeps the
    threshold it was flagged against. While the fact's threshold is the same, the invoices
    silver rechecked since the latest `_checked_at` here are deleted by a pre-hook and their
    flagged rows merged back; when the threshold moved (the fact re-flagged its rows), the
    table is recomputed whole. The watermark is the latest check among the outliers, so a
    build may recheck a few more invoices than it needs to, never fewer.
#}

{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='invoice_no',
        on_schema_change='fail',
        pre_hook=[
            "{% if is_incremental() %}"
            "{{ delete_price_outliers_to_recompute(this, ref('fct_sales')) }}"
            "{% endif %}",
        ],
    )
}}

-- depends_on: {{ ref('int_sales_checked') }}

{%- set threshold = price_outlier_threshold_of(ref('fct_sales')) %}
{%- set recomputed_whole = price_outliers_recomputed_whole(this, threshold) %}

with

sales as (

    select fact.*
    from {{ ref('fct_sales') }} as fact
    {% if recomputed_whole %}
    where fact.is_price_outlier
    {% else %}
    where
        fact.is_price_outlier
        and fact.invoice_no in ({{ rechecked_invoices_sql(this) }})
    {% endif %}

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
        {{ price_outlier_threshold_literal(threshold) }} as outlier_threshold_try,
        _checked_at
    from sales

)

select * from final
