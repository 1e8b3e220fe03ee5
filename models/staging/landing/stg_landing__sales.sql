{#
    Bronze sales: every line of every delivered sales file, as received (text as text),
    plus lineage. Lines that do not parse as 7 CSV fields, or that carry a stray quote, are
    kept and flagged; nothing is filtered here except each file's header line and blank lines
    (which carry no data).
#}

with

sales_lines as (

    select
        value as raw_line,
        _metadata.file_name as source_file,
        _metadata.file_modification_time as delivered_at
    from {{ source('landing', 'sales_lines') }}

),

data_lines as (

    select *
    from sales_lines
    where
        raw_line != '{{ var("sales_csv_header") }}'
        and trim(raw_line) != ''

),

parsed as (

    select
        raw_line,
        source_file,
        delivered_at,
        from_csv(
            raw_line,
            'invoice_no string, customer_id string, category string, quantity string, '
            || 'price string, invoice_date string, shopping_mall string, '
            || '_corrupt_record string',
            map(
                'mode', 'PERMISSIVE',
                'columnNameOfCorruptRecord', '_corrupt_record',
                'ignoreLeadingWhiteSpace', 'false',
                'ignoreTrailingWhiteSpace', 'false'
            )
        ) as fields
    from data_lines

),

final as (

    select
        fields.invoice_no,
        fields.customer_id,
        fields.category,
        fields.quantity,
        fields.price,
        fields.invoice_date,
        fields.shopping_mall,
        {# A well-formed CSV line has an even number of quote characters. #}
        (
            fields._corrupt_record is not null
            or (length(raw_line) - length(replace(raw_line, '"', ''))) % 2 = 1
        ) as is_malformed_line,
        raw_line as _raw_line,
        sha2(raw_line, 256) as _row_hash,
        source_file as _source_file,
        delivered_at as _delivered_at,
        current_timestamp() as _loaded_at
    from parsed

)

select * from final
