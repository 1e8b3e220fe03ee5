{# The shopping malls of the seed; a view, so a build writes nothing for it. #}
{{ config(materialized='view') }}

with

shopping_malls as (

    select * from {{ ref('shopping_malls') }}

),

final as (

    select
        shopping_mall,
        district,
        city_side
    from shopping_malls

)

select * from final
