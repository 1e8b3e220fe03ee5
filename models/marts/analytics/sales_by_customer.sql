{#
    The analysts' customer table of the original design: one row per customer who bought,
    with totals, first and last purchase, and favourite category and mall (most invoices;
    ties go to the higher revenue, then alphabetical order).

    Incremental (macros/delta/incremental_gold.sql): the customers of the sales silver
    rechecked, and the customers silver rechecked, since the latest `_checked_at` here are
    rebuilt from the fact and merged; a pre-hook deletes those left without a row.
#}

{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='customer_id',
        on_schema_change='fail',
        pre_hook=[
            "{% if is_incremental() %}"
            "{{ delete_stale_keys(this, ['customer_id'], customers_without_sales_sql(this)) }}"
            "{% endif %}",
        ],
    )
}}

-- depends_on: {{ ref('int_customers_checked') }}
-- depends_on: {{ ref('int_sales_checked') }}

with

{% if is_incremental() %}
affected_customers as (

    {{ rechecked_customers_sql(this) }}

),

sales as (

    select fact.*
    from {{ ref('fct_sales') }} as fact
    where fact.customer_id in (select affected_customers.customer_id from affected_customers)

),

customers as (

    select dim.*
    from {{ ref('dim_customers') }} as dim
    where dim.customer_id in (select affected_customers.customer_id from affected_customers)

),
{% else %}
sales as (

    select * from {{ ref('fct_sales') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),
{% endif %}

totals as (

    select
        customer_id,
        count(*) as invoice_count,
        sum(quantity) as item_count,
        cast(sum(amount_try) as decimal(18, 2)) as revenue_try,
        min(invoice_date) as first_purchase_date,
        max(invoice_date) as last_purchase_date,
        max(_checked_at) as sales_checked_at
    from sales
    group by customer_id

),

category_ranked as (

    select
        customer_id,
        category,
        row_number() over (
            partition by customer_id
            order by count(*) desc, sum(amount_try) desc, category
        ) as category_rank
    from sales
    group by customer_id, category

),

mall_ranked as (

    select
        customer_id,
        shopping_mall,
        row_number() over (
            partition by customer_id
            order by count(*) desc, sum(amount_try) desc, shopping_mall
        ) as mall_rank
    from sales
    group by customer_id, shopping_mall

),

rebuilt as (

    select
        totals.customer_id,
        customers.gender,
        customers.age_band,
        customers.payment_method,
        totals.invoice_count,
        totals.item_count,
        totals.revenue_try,
        cast(totals.revenue_try / totals.invoice_count as decimal(12, 2))
            as average_order_value_try,
        totals.first_purchase_date,
        totals.last_purchase_date,
        category_ranked.category as favourite_category,
        mall_ranked.shopping_mall as favourite_shopping_mall,
        greatest(customers._checked_at, totals.sales_checked_at) as _checked_at
    from totals
    inner join customers
        on totals.customer_id = customers.customer_id
    inner join category_ranked
        on
            totals.customer_id = category_ranked.customer_id
            and category_ranked.category_rank = 1
    inner join mall_ranked
        on
            totals.customer_id = mall_ranked.customer_id
            and mall_ranked.mall_rank = 1

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
