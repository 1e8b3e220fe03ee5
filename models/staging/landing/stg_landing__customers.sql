{#
    Bronze customers: every row of every delivered customer file, as received, plus lineage.
    The row index keeps file order, which the duplicate rule of silver relies on.
    Incremental: a build appends the rows of the files it has not loaded yet (the manifest
    `bronze.landing_files`, macros/landing/landing_file_batch.sql), --full-refresh included;
    only a rebuild of bronze (`lakehouse build --rebuild-bronze`) reads every file present.
#}

{#- full_refresh: bronze is the record of every delivery loaded. --full-refresh rebuilds
    silver and gold from it and leaves it alone; only `lakehouse build --rebuild-bronze` (the
    var rebuild_bronze) reads it again from the landing folder. #}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        full_refresh=var('rebuild_bronze', false),
        post_hook="{{ record_landing_files('customers') }}",
    )
}}

{%- set new_files = new_landing_files('customers', this) if is_incremental() else none %}

with

customers as (

    select
        customer_id,
        gender,
        age,
        payment_method,
        {{ landing_file_name() }} as source_file,
        _metadata.file_size as source_file_size,
        _metadata.file_modification_time as delivered_at,
        _metadata.row_index as source_row_index
    from {{ source('landing', 'customers') }}
    {%- if new_files is not none %}
    {# An incremental build reads only the new files (an empty list reads nothing). #}
    where {{ landing_file_name() }} in ({{ sql_string_list(new_files) }})
    {%- endif %}

),

final as (

    select
        customer_id,
        gender,
        age,
        payment_method,
        sha2(
            to_json(named_struct(
                'customer_id', customer_id,
                'gender', gender,
                'age', age,
                'payment_method', payment_method
            )),
            256
        ) as _row_hash,
        source_file as _source_file,
        source_file_size as _source_file_size,
        source_row_index as _source_row_index,
        delivered_at as _delivered_at,
        current_timestamp() as _loaded_at
    from customers

)

select * from final
