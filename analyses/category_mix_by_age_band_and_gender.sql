{#
    Category mix per age band and gender: invoices and revenue per category, and the
    category's share (%) of the revenue of its age band and gender.
#}

with

sales_by_segment as (

    select * from {{ ref('sales_by_segment') }}

),

per_category as (

    select
        age_band,
        gender,
        category,
        sum(invoice_count) as invoice_count,
        cast(sum(revenue_try) as decimal(18, 2)) as revenue_try
    from sales_by_segment
    group by age_band, gender, category

),

final as (

    select
        age_band,
        gender,
        category,
        invoice_count,
        revenue_try,
        cast(
            100 * revenue_try / sum(revenue_try) over (partition by age_band, gender)
            as decimal(5, 2)
        ) as revenue_share_pct
    from per_category

)

select * from final
order by age_band, gender, category
