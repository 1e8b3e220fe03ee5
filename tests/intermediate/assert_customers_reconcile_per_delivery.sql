{#
    Reconciliation, customers: every bronze row of a delivered file is accounted for in
    silver, bronze = accepted (int_customers_validated) + quarantined
    (int_customers_quarantined) + collapsed + superseded, per source file. Returns one row per file that does not add up.
    An error, not a warning: a lost or invented row breaks the lineage analysts rely on.
#}
{{ config(severity='error') }}

with

bronze as (

    select
        _source_file,
        count(*) as bronze_rows
    from {{ ref('stg_landing__customers') }}
    group by _source_file

),

validated as (

    select
        _source_file,
        count(*) as accepted_rows
    from {{ ref('int_customers_validated') }}
    group by _source_file

),

quarantined as (

    select
        _source_file,
        count(*) as quarantined_rows
    from {{ ref('int_customers_quarantined') }}
    group by _source_file

),

set_aside as (

    select
        _source_file,
        count_if(outcome = 'collapsed') as collapsed_rows,
        count_if(outcome = 'superseded') as superseded_rows
    from {{ ref('int_customers_checked') }}
    group by _source_file

),

reconciled as (

    select
        coalesce(bronze._source_file, validated._source_file, quarantined._source_file)
            as source_file,
        coalesce(bronze.bronze_rows, 0) as bronze_rows,
        coalesce(validated.accepted_rows, 0) as accepted_rows,
        coalesce(quarantined.quarantined_rows, 0) as quarantined_rows,
        coalesce(set_aside.collapsed_rows, 0) as collapsed_rows,
        coalesce(set_aside.superseded_rows, 0) as superseded_rows
    from bronze
    full outer join validated
        on bronze._source_file = validated._source_file
    full outer join quarantined
        on coalesce(bronze._source_file, validated._source_file) = quarantined._source_file
    left join set_aside
        on
            coalesce(bronze._source_file, validated._source_file, quarantined._source_file)
            = set_aside._source_file

),

final as (

    select *
    from reconciled
    where
        bronze_rows
        != accepted_rows + quarantined_rows + collapsed_rows + superseded_rows

)

select * from final
