{#
    Sales per month, shopping mall, category and customer segment (age band, gender,
    payment method): the grain of the analyses that cut sales by who bought. Its size is
    bounded by the number of segments and months, not by the number of sales, so the
    analyses read a few thousand rows where they used to join the fact with customers.

    Incremental (macros/delta/incremental_gold.sql): the months of the invoices silver
    rechecked since the latest `_checked_at` here are rebuilt whole from the fact's
    partitions of those months. A customer whose attributes change has all their sales
    rechecked by silver, so the months of those sales are rebuilt too. A pre-hook deletes the
    rows of those months first; a build stopped between the two statements leaves a lower
    watermark, so the next build rebuilds the same months again.
#}

{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=[
            'month_start_date', 'shopping_mall', 'category',
            'age_band', 'gender', 'payment_method',
        ],
        on_schema_change='fail',
        pre_hook=[
            "{% if is_incremental() %}"
            "{{ delete_rechecked_months(this, 'month_start_date') }}"
            "{% endif %}",
        ],
    )
}}

-- depends_on: {{ ref('int_sales_checked') }}

with

sales as (

    select fact.*
    from {{ ref('fct_sales') }} as fact
    {% if is_incremental() %}
    {# A literal on the partition columns: Spark reads only those months' files. #}
    where {{ in_months('fact.invoice_year', 'fact.invoice_month', rechecked_month_list(this)) }}
    {% endif %}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

final as (

    select
        cast(date_trunc('month', sales.invoice_date) as date) as month_start_date,
        sales.shopping_mall,
        sales.category,
        customers.age_band,
        customers.gender,
        customers.payment_method,
        count(*) as invoice_count,
        sum(sales.quantity) as item_count,
        cast(sum(sales.amount_try) as decimal(18, 2)) as revenue_try,
        max(sales._checked_at) as _checked_at
    from sales
    inner join customers
        on sales.customer_id = customers.customer_id
    group by 1, 2, 3, 4, 5, 6

)

select * from final
