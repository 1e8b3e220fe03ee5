{#
    Every bronze sales line with its fields parsed, before any rule judges it (docs block
    `sales_parsing`): the keys and the date trimmed (null when blank), the quantity as a
    whole number, the price as a decimal, the category and the mall matched against their
    canonical names and aliases, the category's unit price, and the invoice date read from
    the contract's format or a fallback. Nothing is left out or judged here:
    int_sales_checked applies the duplicate and quarantine rules to these rows.

    A view, so no line is parsed twice: int_sales_checked reads it, on an incremental build
    with its filter on the affected lines (`_row_hash`, `invoice_no_clean`), which Spark
    applies to the bronze scan below this view's lookups (a filter on bronze columns goes
    through a projection and through the left side of a left join).
#}

{{ config(materialized='view') }}

with

sales as (

    select * from {{ ref('stg_landing__sales') }}

),

reference_values as (

    select * from {{ ref('int_reference_values_unioned') }}

),

product_categories as (

    select * from {{ ref('product_categories') }}

),

normalised as (

    select
        sales.*,
        nullif(trim(sales.invoice_no), '') as invoice_no_clean,
        nullif(trim(sales.customer_id), '') as customer_id_clean,
        nullif(trim(sales.invoice_date), '') as invoice_date_text,
        case
            when trim(sales.quantity) rlike '^-?[0-9]+$' then cast(trim(sales.quantity) as int)
        end as quantity_clean,
        cast(trim(sales.price) as decimal(12, 2)) as amount_try,
        categories.canonical_value as category_clean,
        malls.canonical_value as shopping_mall_clean
    from sales
    left join reference_values as categories
        on
            categories.domain = 'category'
            and {{ normalise_text('sales.category') }} = categories.lookup_key
    left join reference_values as malls
        on
            malls.domain = 'shopping_mall'
            and {{ normalise_text('sales.shopping_mall') }} = malls.lookup_key

),

priced as (

    select
        normalised.*,
        product_categories.unit_price_try
    from normalised
    left join product_categories
        on normalised.category_clean = product_categories.category

),

dates_parsed as (

    select
        *,
        {# dd-mm-yyyy is the contract; the other formats seen in real feeds are fallbacks.
           try_to_date gives null for dates that are no calendar day (31-02-2022). #}
        case
            when invoice_date_text rlike '^[0-9]{2}-[0-9]{2}-[0-9]{4}$'
                then try_to_date(invoice_date_text, 'dd-MM-yyyy')
            when invoice_date_text rlike '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
                then try_to_date(invoice_date_text, 'yyyy-MM-dd')
            when invoice_date_text rlike '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$'
                then try_to_date(invoice_date_text, 'd/M/yyyy')
        end as invoice_date_clean
    from priced

),

final as (

    select
        invoice_no,
        customer_id,
        category,
        quantity,
        price,
        invoice_date,
        shopping_mall,
        is_malformed_line,
        invoice_no_clean,
        customer_id_clean,
        category_clean,
        shopping_mall_clean,
        invoice_date_text,
        invoice_date_clean,
        quantity_clean,
        unit_price_try,
        amount_try,
        _raw_line,
        _row_hash,
        _source_file,
        _source_file_size,
        _delivered_at,
        _loaded_at
    from dates_parsed

)

select * from final
