{#
    Every bronze customer row with its outcome in silver and the reasons behind it.
    The rules (docs block `customer_rules`):
      - exact copies of a row collapse to the first one;
      - a later delivery of a customer supersedes the earlier ones;
      - within one delivery, a customer listed again with other attributes keeps its first
        row (file order); the later rows are quarantined as `duplicate_customer_conflict`;
      - rows failing a rule are quarantined with one reason code per failed rule.

    Incremental: a build recomputes only the customers the new bronze rows can change
    (every row of a customer_id present in them, and every copy of their lines), with the
    same rules as a full build, and merges those rows by their place in the landing files.
    New bronze rows are those loaded after the latest row this table holds (_loaded_at),
    so a build stopped between layers is completed by the next one. The watermark is a
    literal (watermark.sql), and a build with no new bronze row plans an empty batch.
#}

{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['_source_file', '_source_row_index'],
        on_schema_change='fail',
    )
}}

with

{% if is_incremental() %}
{%- set loaded_since = watermark(this, '_loaded_at') -%}
{%- set customers_relation = ref('stg_landing__customers') -%}
{%- set nothing_new = not has_rows_after(customers_relation, '_loaded_at', loaded_since) %}
new_customers as (

    select
        _row_hash,
        nullif(trim(customer_id), '') as customer_id_clean
    from {{ customers_relation }} as bronze_customers
    where bronze_customers._loaded_at > {{ loaded_since }}

),

customers as (

    select * from {{ customers_relation }}
    {#- Nothing new since the watermark: `false and ...`, which Spark folds into an empty
        batch without reading any input. #}
    where
        {{ 'false' if nothing_new else 'true' }}
        and (
            _row_hash in (select new_customers._row_hash from new_customers)
            or nullif(trim(customer_id), '') in (
                select new_customers.customer_id_clean from new_customers
            )
        )

),
{% else %}
customers as (

    select * from {{ ref('stg_landing__customers') }}

),
{% endif %}

reference_values as (

    select * from {{ ref('int_reference_values_unioned') }}
    where domain = 'payment_method'

),

normalised as (

    select
        customers.*,
        nullif(trim(customers.customer_id), '') as customer_id_clean,
        case lower(trim(customers.gender))
            when 'female' then 'Female'
            when 'male' then 'Male'
        end as gender_clean,
        reference_values.canonical_value as payment_method_clean
    from customers
    left join reference_values
        on {{ normalise_text('customers.payment_method') }} = reference_values.lookup_key

),

copies_numbered as (

    select
        *,
        row_number() over (
            partition by _row_hash
            order by _delivered_at, _source_file, _source_row_index
        ) as copy_number
    from normalised

),

deliveries_ranked as (

    select
        *,
        dense_rank() over (
            partition by customer_id_clean
            order by _delivered_at desc, _source_file desc
        ) as delivery_rank,
        row_number() over (
            partition by customer_id_clean, _delivered_at, _source_file
            order by _source_row_index
        ) as position_in_delivery
    from copies_numbered
    where copy_number = 1 and customer_id_clean is not null

),

with_reasons as (

    select
        copies_numbered.*,
        deliveries_ranked.delivery_rank,
        filter(
            array(
                case when copies_numbered.customer_id_clean is null then 'missing_customer_id' end,
                case when copies_numbered.gender_clean is null then 'invalid_gender' end,
                case
                    when
                        copies_numbered.age is not null
                        and (
                            copies_numbered.age != floor(copies_numbered.age)
                            or copies_numbered.age < {{ var('customer_age_min') }}
                            or copies_numbered.age > {{ var('customer_age_max') }}
                        )
                        then 'invalid_age'
                end,
                case
                    when copies_numbered.payment_method_clean is null
                        then 'unknown_payment_method'
                end,
                case
                    when
                        deliveries_ranked.delivery_rank = 1
                        and deliveries_ranked.position_in_delivery > 1
                        then 'duplicate_customer_conflict'
                end
            ),
            reason -> reason is not null
        ) as reasons
    from copies_numbered
    left join deliveries_ranked
        on
            copies_numbered._row_hash = deliveries_ranked._row_hash
            and copies_numbered.copy_number = 1

),

final as (

    select
        customer_id,
        gender,
        age,
        payment_method,
        customer_id_clean,
        gender_clean,
        cast(age as int) as age_clean,
        payment_method_clean,
        case
            when copy_number > 1 then 'collapsed'
            when delivery_rank > 1 then 'superseded'
            when size(reasons) > 0 then 'quarantined'
            else 'accepted'
        end as outcome,
        reasons,
        _row_hash,
        _source_file,
        _source_row_index,
        _delivered_at,
        _loaded_at,
        current_timestamp() as _checked_at
    from with_reasons

)

select * from final
