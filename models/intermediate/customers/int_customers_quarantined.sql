{# Rejected customer rows: the values as received, why they were rejected, where from. #}

{# A view over the checked rows: it follows their incremental merges with no write. #}
{{ config(materialized='view') }}

with

checked_customers as (

    select * from {{ ref('int_customers_checked') }}

),

final as (

    select
        customer_id,
        gender,
        age,
        payment_method,
        reasons as reason_codes,
        reasons[0] as primary_reason,
        _row_hash,
        _source_file,
        _source_row_index,
        _delivered_at,
        _loaded_at,
        _checked_at
    from checked_customers
    where outcome = 'quarantined'

)

select * from final
