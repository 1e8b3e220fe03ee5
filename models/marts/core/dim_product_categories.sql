{# The product categories of the seed; a view, so a build writes nothing for it. #}
{{ config(materialized='view') }}

with

product_categories as (

    select * from {{ ref('product_categories') }}

),

final as (

    select
        category,
        cast(unit_price_try as decimal(12, 2)) as unit_price_try
    from product_categories

)

select * from final
