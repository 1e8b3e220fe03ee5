{# Rejected sales lines: the values as received, why they were rejected, where from. #}

{# A view over the checked rows: it follows their incremental merges with no write. #}
{{ config(materialized='view') }}

with

checked_sales as (

    select * from {{ ref('int_sales_checked') }}

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
        reasons as reason_codes,
        reasons[0] as primary_reason,
        _raw_line,
        _row_hash,
        _source_file,
        _delivered_at,
        _loaded_at,
        _checked_at
    from checked_sales
    where outcome = 'quarantined'

)

select * from final
