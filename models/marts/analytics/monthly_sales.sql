{#
    Sales per month, shopping mall and category: the grain of most analyst questions.

    Incremental (macros/delta/incremental_gold.sql): the months of the invoices silver
    rechecked since the latest `_checked_at` here (every version's date, so a correction that
    moves an invoice to another month updates both) are rebuilt from the fact's partitions of
    those months and merged; a pre-hook deletes their groups left without sales.
#}

{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['month_start_date', 'shopping_mall', 'category'],
        on_schema_change='fail',
        pre_hook=[
            "{% if is_incremental() %}"
            "{{ delete_stale_keys(
                this, ['month_start_date', 'shopping_mall', 'category'],
                month_groups_without_sales_sql(this, ref('fct_sales'))
            ) }}"
            "{% endif %}",
        ],
    )
}}

-- depends_on: {{ ref('int_sales_checked') }}

with

{% if is_incremental() %}
affected_months as (

    {{ rechecked_months_sql(this) }}

),

sales as (

    select fact.*
    from {{ ref('fct_sales') }} as fact
    {# On the partition columns, so that Spark reads only those months' files. #}
    where
        fact.invoice_year * 100 + fact.invoice_month in (
            select affected_months.year_month from affected_months
        )

),
{% else %}
sales as (

    select * from {{ ref('fct_sales') }}

),
{% endif %}

rebuilt as (

    select
        cast(date_trunc('month', invoice_date) as date) as month_start_date,
        shopping_mall,
        category,
        count(*) as invoice_count,
        sum(quantity) as item_count,
        cast(sum(amount_try) as decimal(18, 2)) as revenue_try,
        max(_checked_at) as _checked_at
    from sales
    group by 1, 2, 3

),

final as (

    select * from rebuilt
    {% if is_incremental() %}
    {# Only the groups that change: an unchanged group is not rewritten. #}
    except
    select * from {{ this }}
    {% endif %}

)

select * from final
