{#
    Bronze sales: every line of every delivered sales file, as received (text as text),
    plus lineage. Lines that do not parse as 7 CSV fields, or that carry a stray quote, are
    kept and flagged; nothing is filtered here except each file's header line and blank lines
    (which carry no data).

    Files whose header is not the contract's (an extra or reordered column) come with a
    layout in the var `sales_file_layouts`, which `lakehouse run` derives from each file's
    header before the build (lakehouse/landing.py): such a file is parsed by its own width
    and its required columns are taken by position; extra columns are ignored.
#}

{%- set layouts = var('sales_file_layouts', {}) -%}
{#- Lint renders var() as a placeholder, not a mapping: read that as no layouts. -#}
{%- if layouts is not mapping -%}{%- set layouts = {} -%}{%- endif -%}
{%- set sales_columns = [
    'invoice_no', 'customer_id', 'category', 'quantity',
    'price', 'invoice_date', 'shopping_mall'
] -%}
{%- set csv_options -%}
            map(
                'mode', 'PERMISSIVE',
                'columnNameOfCorruptRecord', '_corrupt_record',
                'ignoreLeadingWhiteSpace', 'false',
                'ignoreTrailingWhiteSpace', 'false'
            )
{%- endset %}

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
        {%- for file_name, layout in layouts.items() %}
        and not (
            source_file = {{ sql_string(file_name) }}
            and raw_line = {{ sql_string(layout.header) }}
        )
        {%- endfor %}
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
            {{ csv_options }}
        ) as fields
    from data_lines
    {%- if layouts %}
    where source_file not in (
        {%- for file_name in layouts %}{{ sql_string(file_name) }}{{ ", " if not loop.last }}{% endfor -%}
    )
    {%- endif %}
    {%- for file_name, layout in layouts.items() %}

    union all

    {# Parsed by the file's own width (c0, c1, ...), required columns taken by position. #}
    select
        raw_line,
        source_file,
        delivered_at,
        named_struct(
            {%- for column in sales_columns %}
            '{{ column }}', by_position.c{{ layout.positions[column] }},
            {%- endfor %}
            '_corrupt_record', by_position._corrupt_record
        ) as fields
    from (
        select
            raw_line,
            source_file,
            delivered_at,
            from_csv(
                raw_line,
                '{% for position in range(layout.width) %}c{{ position }} string, {% endfor %}'
                || '_corrupt_record string',
                {{ csv_options }}
            ) as by_position
        from data_lines
        where source_file = {{ sql_string(file_name) }}
    )
    {%- endfor %}

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
