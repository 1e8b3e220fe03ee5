{#
    Reconciliation: every row of a delivered file is accounted for in silver. Per file, the
    rows bronze loaded (the manifest's `rows_loaded` for `file_kind`, recorded when the file
    was appended) = accepted + quarantined + collapsed + superseded rows of the tested
    `int_*_checked` model (its `_validated` and `_quarantined` models are views of its
    accepted and quarantined rows). Returns one row per file that does not add up. The counts
    come from the manifest and one pass over the outcome column, not from a rescan of bronze.

    Applied to int_sales_checked and int_customers_checked, each with its own name
    (`assert_<kind>_reconcile_per_delivery`) and severity error: a lost or invented row breaks
    the lineage analysts rely on. `loaded_by` is the bronze model whose post-hook writes the
    manifest rows of `file_kind`: a parent of the test, so that it runs after that model.
#}
{% test reconciles_per_delivery(model, file_kind, loaded_by) %}

-- manifest rows of {{ file_kind }} files, written by {{ loaded_by }}
with

loaded as (

    select
        file_name as source_file,
        rows_loaded
    from {{ landing_manifest_relation() }}
    where file_kind = '{{ file_kind }}'

),

outcomes as (

    select
        _source_file as source_file,
        count_if(outcome = 'accepted') as accepted_rows,
        count_if(outcome = 'quarantined') as quarantined_rows,
        count_if(outcome = 'collapsed') as collapsed_rows,
        count_if(outcome = 'superseded') as superseded_rows
    from {{ model }}
    group by _source_file

),

reconciled as (

    select
        coalesce(loaded.source_file, outcomes.source_file) as source_file,
        coalesce(loaded.rows_loaded, 0) as bronze_rows,
        coalesce(outcomes.accepted_rows, 0) as accepted_rows,
        coalesce(outcomes.quarantined_rows, 0) as quarantined_rows,
        coalesce(outcomes.collapsed_rows, 0) as collapsed_rows,
        coalesce(outcomes.superseded_rows, 0) as superseded_rows
    from loaded
    full outer join outcomes
        on loaded.source_file = outcomes.source_file

),

final as (

    select *
    from reconciled
    where
        bronze_rows
        != accepted_rows + quarantined_rows + collapsed_rows + superseded_rows

)

select * from final

{% endtest %}
