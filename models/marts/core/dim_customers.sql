{#
    One row per accepted customer, with the first and last purchase. Incremental
    (macros/delta/incremental_gold.sql): the customers silver rechecked, and the customers of
    the sales silver rechecked, since the latest `_checked_at` here are rebuilt and merged; a
    pre-hook deletes the rechecked customers silver no longer accepts.
#}

{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='customer_id',
        on_schema_change='fail',
        pre_hook=[
            "{% if is_incremental() %}"
            "{{ delete_stale_keys(this, ['customer_id'], keys_no_longer_accepted_sql(
                this, ref('int_customers_checked'), 'customer_id'
            )) }}"
            "{% endif %}",
        ],
    )
}}

-- depends_on: {{ ref('int_customers_checked') }}
-- depends_on: {{ ref('int_sales_checked') }}

with

customers as (

    select * from {{ ref('int_customers_validated') }}

),

sales as (

    select * from {{ ref('int_sales_validated') }}

),

{% if is_incremental() %}
affected_customers as (

    {{ rechecked_customers_sql(this) }}

),

rebuilt_customers as (

    select customers.*
    from customers
    where customers.customer_id in (
        select affected_customers.customer_id from affected_customers
    )

),

rebuilt_sales as (

    select sales.*
    from sales
    where sales.customer_id in (select affected_customers.customer_id from affected_customers)

),
{% else %}
rebuilt_customers as (

    select * from customers

),

rebuilt_sales as (

    select * from sales

),
{% endif %}

purchases as (

    select
        customer_id,
        min(invoice_date) as first_purchase_date,
        max(invoice_date) as last_purchase_date,
        max(_checked_at) as sales_checked_at
    from rebuilt_sales
    group by customer_id

),

rebuilt as (

    select
        rebuilt_customers.customer_id,
        rebuilt_customers.gender,
        rebuilt_customers.age,
        rebuilt_customers.age_band,
        rebuilt_customers.payment_method,
        purchases.first_purchase_date,
        purchases.last_purchase_date,
        greatest(rebuilt_customers._checked_at, purchases.sales_checked_at) as _checked_at
    from rebuilt_customers
    left join purchases
        on rebuilt_customers.customer_id = purchases.customer_id

),

final as (

    select * from rebuilt
    {% if is_incremental() %}
    {# Only the rows that change: an unchanged row is not rewritten. #}
    except
    select * from {{ this }}
    {% endif %}

)

select * from final
