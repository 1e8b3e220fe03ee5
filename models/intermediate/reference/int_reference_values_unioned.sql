{#
    One lookup for normalising free-text values: every canonical name and every known alias,
    keyed by the same normalised form (lower case, trimmed, inner spaces collapsed) that
    silver computes from the raw value. Unknown values find no row: rejected, not guessed.
#}

{# A view over the seeds: a few hundred rows, nothing worth a Delta write per build. #}
{{ config(materialized='view') }}

with

payment_methods as (

    select * from {{ ref('payment_methods') }}

),

product_categories as (

    select * from {{ ref('product_categories') }}

),

shopping_malls as (

    select * from {{ ref('shopping_malls') }}

),

value_aliases as (

    select * from {{ ref('value_aliases') }}

),

canonical_values as (

    select
        'payment_method' as domain,
        payment_method as canonical_value
    from payment_methods
    union all
    select
        'category' as domain,
        category as canonical_value
    from product_categories
    union all
    select
        'shopping_mall' as domain,
        shopping_mall as canonical_value
    from shopping_malls

),

lookup_keys as (

    select
        domain,
        {{ normalise_text('canonical_value') }} as lookup_key,
        canonical_value
    from canonical_values
    union
    select
        domain,
        {{ normalise_text('alias') }} as lookup_key,
        canonical_value
    from value_aliases

),

final as (

    select
        domain,
        lookup_key,
        canonical_value
    from lookup_keys

)

select * from final
