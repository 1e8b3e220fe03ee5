{#
    Bronze customers: every row of every delivered customer file, as received, plus lineage.
    The row index keeps file order, which the duplicate rule of silver relies on.
#}

with

customers as (

    select
        customer_id,
        gender,
        age,
        payment_method,
        _metadata.file_name as source_file,
        _metadata.file_modification_time as delivered_at,
        _metadata.row_index as source_row_index
    from {{ source('landing', 'customers') }}

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
        source_row_index as _source_row_index,
        delivered_at as _delivered_at,
        current_timestamp() as _loaded_at
    from customers

)

select * from final
