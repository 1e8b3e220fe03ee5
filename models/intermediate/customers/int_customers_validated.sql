{# Silver customers: one trusted, typed row per customer_id. #}

{# A view over the checked rows: it follows their incremental merges with no write. #}
{{ config(materialized='view') }}

with

checked_customers as (

    select * from {{ ref('int_customers_checked') }}

),

final as (

    select
        customer_id_clean as customer_id,
        gender_clean as gender,
        age_clean as age,
        {{ age_band('age_clean') }} as age_band,
        payment_method_clean as payment_method,
        _source_file,
        _delivered_at,
        _loaded_at,
        _checked_at
    from checked_customers
    where outcome = 'accepted'

)

select * from final
