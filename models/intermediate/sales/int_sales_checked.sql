{#
    Every bronze sales line with its outcome in silver and the reasons behind it. The lines
    come parsed from int_sales_parsed (docs block `sales_parsing`); this model numbers their
    copies and versions and applies the rules (docs block `sales_rules`):
      - exact copies of a line collapse to the first one delivered;
      - a later delivery of an invoice supersedes the earlier versions (a correction);
      - within one delivery, an invoice_no carried by lines with different values is a
        conflict: every version is quarantined as `conflicting_duplicate`;
      - a malformed line is quarantined as `malformed_line` alone (its fields are unreliable);
      - any other line failing a rule is quarantined with one reason code per failed rule.

    Incremental: a build recomputes only the lines the new data can change, with the same
    rules as a full build: every version of an invoice present in the new bronze lines,
    every copy of those lines, and every line of a customer whose rows silver customers
    has just recomputed (a sale delivered before its customer is accepted once the customer
    arrives; one whose customer is rejected later becomes an orphan). Those lines are merged
    by their place in bronze (file, line hash, copy number within the file). New bronze lines
    are those loaded after the latest line this table holds; recomputed customers are those
    checked after this table's latest check (_checked_at), so a build stopped between
    layers is completed by the next one. Both watermarks are literals (watermark.sql), and
    a build with neither plans an empty batch.
#}

{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['_source_file', '_row_hash', '_copy_in_file'],
        on_schema_change='fail',
    )
}}

{#- An incremental build reads bronze and the checked customers to find the affected lines.
    dbt takes a model's parents from its full-build rendering, so both are named here. #}
-- depends_on: {{ ref('stg_landing__sales') }}
-- depends_on: {{ ref('int_customers_checked') }}

with

{% if is_incremental() %}
{%- set loaded_since = watermark(this, '_loaded_at') -%}
{%- set checked_since = watermark(this, '_checked_at') -%}
{%- set sales_relation = ref('stg_landing__sales') -%}
{%- set customers_relation = ref('int_customers_checked') -%}
{%- set nothing_new = not has_rows_after(sales_relation, '_loaded_at', loaded_since)
    and not has_rows_after(customers_relation, '_checked_at', checked_since) %}
new_sales as (

    select
        _row_hash,
        nullif(trim(invoice_no), '') as invoice_no_clean
    from {{ sales_relation }} as bronze_sales
    where bronze_sales._loaded_at > {{ loaded_since }}

),

rechecked_customers as (

    select customer_id_clean
    from {{ customers_relation }} as checked_customers
    where checked_customers._checked_at > {{ checked_since }}

),

rechecked_customers_sales as (

    select
        _row_hash,
        nullif(trim(invoice_no), '') as invoice_no_clean
    from {{ sales_relation }}
    where nullif(trim(customer_id), '') in (
        select rechecked_customers.customer_id_clean from rechecked_customers
    )

),

affected_lines as (

    select * from new_sales
    union all
    select * from rechecked_customers_sales

),

sales as (

    select * from {{ ref('int_sales_parsed') }}
    {#- The affected lines: Spark applies this filter to the bronze scan inside the view, so
        only they are parsed and numbered. Nothing new since the watermarks: `false and ...`,
        which Spark folds into an empty batch without reading any input. #}
    where
        {{ 'false' if nothing_new else 'true' }}
        and (
            _row_hash in (select affected_lines._row_hash from affected_lines)
            or invoice_no_clean in (select affected_lines.invoice_no_clean from affected_lines)
        )

),
{% else %}
sales as (

    select * from {{ ref('int_sales_parsed') }}

),
{% endif %}

accepted_customers as (

    select customer_id from {{ ref('int_customers_validated') }}

),

copies_numbered as (

    select
        *,
        row_number() over (
            partition by _row_hash
            order by _delivered_at, _source_file
        ) as copy_number,
        {# Identical lines within a file are interchangeable: any order numbers them. #}
        row_number() over (
            partition by _source_file, _row_hash
            order by _source_file
        ) as copy_in_file
    from sales

),

versions_ranked as (

    select
        _row_hash,
        dense_rank() over (
            partition by invoice_no_clean
            order by _delivered_at desc, _source_file desc
        ) as delivery_rank,
        count(*) over (
            partition by invoice_no_clean, _delivered_at, _source_file
        ) as versions_in_delivery
    from copies_numbered
    where copy_number = 1 and invoice_no_clean is not null and not is_malformed_line

),

joined as (

    select
        copies_numbered.*,
        versions_ranked.delivery_rank,
        versions_ranked.versions_in_delivery,
        accepted_customers.customer_id is not null as is_known_customer
    from copies_numbered
    left join versions_ranked
        on
            copies_numbered._row_hash = versions_ranked._row_hash
            and copies_numbered.copy_number = 1
    left join accepted_customers
        on copies_numbered.customer_id_clean = accepted_customers.customer_id

),

with_reasons as (

    select
        *,
        case
            when is_malformed_line then array('malformed_line')
            else filter(
                array(
                    case when invoice_no_clean is null then 'missing_invoice_no' end,
                    case when customer_id_clean is null then 'missing_customer_id' end,
                    case when invoice_date_text is null then 'missing_invoice_date' end,
                    case
                        when invoice_date_text is not null and invoice_date_clean is null
                            then 'invalid_invoice_date'
                    end,
                    case
                        when
                            invoice_date_clean < date '{{ var("invoice_date_min") }}'
                            or invoice_date_clean > current_date()
                            then 'invoice_date_out_of_range'
                    end,
                    case
                        when nullif(trim(quantity), '') is not null and quantity_clean is null
                            then 'non_numeric_quantity'
                    end,
                    case
                        when
                            quantity_clean not between 1 and 5
                            or nullif(trim(quantity), '') is null
                            then 'quantity_out_of_range'
                    end,
                    case
                        when amount_try is null then 'invalid_price'
                        when amount_try <= 0 then 'non_positive_price'
                    end,
                    case when category_clean is null then 'unknown_category' end,
                    case when shopping_mall_clean is null then 'unknown_mall' end,
                    case
                        when
                            amount_try > 0
                            and quantity_clean between 1 and 5
                            and abs(amount_try - quantity_clean * unit_price_try) > greatest(
                                {{ var('price_tolerance_abs') }},
                                quantity_clean * unit_price_try
                                * {{ var('price_tolerance_ratio') }}
                            )
                            then 'price_mismatch'
                    end,
                    case
                        when customer_id_clean is not null and not is_known_customer
                            then 'orphan_customer_id'
                    end,
                    case
                        when delivery_rank = 1 and versions_in_delivery > 1
                            then 'conflicting_duplicate'
                    end
                ),
                reason -> reason is not null
            )
        end as reasons
    from joined

),

final as (

    select
        invoice_no,
        customer_id,
        category,
        quantity,
        price,
        invoice_date,
        shopping_mall,
        is_malformed_line,
        invoice_no_clean,
        customer_id_clean,
        category_clean,
        shopping_mall_clean,
        invoice_date_clean,
        quantity_clean,
        unit_price_try,
        amount_try,
        case
            when copy_number > 1 then 'collapsed'
            when delivery_rank > 1 then 'superseded'
            when size(reasons) > 0 then 'quarantined'
            else 'accepted'
        end as outcome,
        reasons,
        _raw_line,
        _row_hash,
        copy_in_file as _copy_in_file,
        _source_file,
        _delivered_at,
        _loaded_at,
        current_timestamp() as _checked_at
    from with_reasons

)

select * from final
