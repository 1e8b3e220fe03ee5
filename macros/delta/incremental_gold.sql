{#
    Helpers of the incremental gold models. Each gold model keeps `_checked_at`, the latest
    silver check time of the rows it was computed from; the silver rows checked after the
    model's latest `_checked_at` are what a build has not processed yet. Their keys are the
    affected keys: the model recomputes those keys' rows with the same SQL as a full build,
    merges the rows that differ from what it holds, and a pre-hook deletes the affected keys
    that no longer have a row. With nothing new, every statement has an empty source and
    Delta commits nothing.
#}

{#- The watermark of an incremental gold model: its latest `_checked_at` (watermark.sql). -#}
{% macro checked_watermark(relation) -%}
    {{ watermark(relation, '_checked_at') }}
{%- endmacro %}


{#- Deletes the rows of `target` whose key columns are returned by `stale_keys_sql`. -#}
{% macro delete_stale_keys(target, key_columns, stale_keys_sql) %}
    merge into {{ target }} as target
    using ({{ stale_keys_sql }}) as stale
        on
        {%- for column in key_columns %}
        target.{{ column }} = stale.{{ column }}{{ ' and' if not loop.last }}
        {%- endfor %}
    when matched then delete
{% endmacro %}


{#- Keys silver rechecked since `model`'s watermark and no longer accepts in any row:
    customers (dim_customers) whose latest delivery was rejected; invoices (fct_sales) whose
    latest delivery was quarantined or whose customer was rejected later. -#}
{% macro keys_no_longer_accepted_sql(model, checked, key) %}
    select {{ key }}_clean as {{ key }}
    from {{ checked }}
    where {{ key }}_clean is not null and _checked_at > {{ checked_watermark(model) }}
    group by {{ key }}_clean
    having count_if(outcome = 'accepted') = 0
{% endmacro %}


{#- Days outside the fact's range of invoice dates (dim_dates). -#}
{% macro days_out_of_range_sql(dim, fact) %}
    select dates.date_day
    from {{ dim }} as dates
    cross join (
        select
            min(invoice_date) as first_date,
            max(invoice_date) as last_date
        from {{ fact }}
    ) as date_range
    where dates.date_day not between date_range.first_date and date_range.last_date
{% endmacro %}


{#- Customers of the sales and the customers silver rechecked since `model`'s watermark. -#}
{% macro rechecked_customers_sql(model) %}
    {%- set since = checked_watermark(model) %}  {#- one watermark query for both parts #}
    select checked_sales.customer_id_clean as customer_id
    from {{ ref('int_sales_checked') }} as checked_sales
    where checked_sales._checked_at > {{ since }}
    union
    select checked_customers.customer_id_clean as customer_id
    from {{ ref('int_customers_checked') }} as checked_customers
    where checked_customers._checked_at > {{ since }}
{% endmacro %}


{#- Rechecked customers (sales_by_customer) with no accepted sale or no dimension row. -#}
{% macro customers_without_sales_sql(model) %}
    select rechecked.customer_id
    from ({{ rechecked_customers_sql(model) }}) as rechecked
    where
        rechecked.customer_id is not null
        {# `not exists`, not `not in`: Spark plans two `not in` subqueries joined by `or`
            as a nested loop over the whole fact (minutes at 1M rows), `not exists` as
            hash joins. #}
        and (
            not exists (
                select 1 from {{ ref('fct_sales') }} as fact
                where fact.customer_id = rechecked.customer_id
            )
            or not exists (
                select 1 from {{ ref('dim_customers') }} as dim
                where dim.customer_id = rechecked.customer_id
            )
        )
{% endmacro %}


{#- Months (yyyymm) of every version of the invoices silver rechecked since the watermark. -#}
{% macro rechecked_months_sql(model) %}
    select distinct
        year(checked_sales.invoice_date_clean) * 100 + month(checked_sales.invoice_date_clean)
            as year_month
    from {{ ref('int_sales_checked') }} as checked_sales
    where
        checked_sales._checked_at > {{ checked_watermark(model) }}
        and checked_sales.invoice_date_clean is not null
{% endmacro %}


{#- Groups of the rechecked months that the fact no longer has sales for (monthly_sales). -#}
{% macro month_groups_without_sales_sql(model, fact) %}
    select
        monthly.month_start_date,
        monthly.shopping_mall,
        monthly.category
    from {{ model }} as monthly
    where
        year(monthly.month_start_date) * 100 + month(monthly.month_start_date) in (
            {{ rechecked_months_sql(model) }}
        )
        and not exists (
            select 1
            from {{ fact }} as sales
            where
                sales.invoice_year = year(monthly.month_start_date)
                and sales.invoice_month = month(monthly.month_start_date)
                and sales.shopping_mall = monthly.shopping_mall
                and sales.category = monthly.category
        )
{% endmacro %}


{#- The months (yyyymm) of rechecked_months_sql as a list of numbers, read when the model
    runs, so that a filter on the fact's partition columns is a literal Spark prunes by. -#}
{% macro rechecked_month_list(model) %}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set months = run_query(rechecked_months_sql(model)).columns[0].values() -%}
    {{ return(months | map('int') | sort | list) }}
{% endmacro %}


{#- A filter on the fact's partition columns: the rows of `months` (yyyymm numbers). -#}
{% macro in_months(year_column, month_column, months) -%}
    {%- if months -%}
        {{ year_column }} * 100 + {{ month_column }} in ({{ months | join(', ') }})
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook of the segment mart: deletes every row of the rechecked months, which the
    model then rebuilds whole. Nothing when no month was rechecked (the hook is skipped). -#}
{% macro delete_rechecked_months(model, date_column) %}
    {%- set months = rechecked_month_list(model) -%}
    {%- if months -%}
        delete from {{ model }}
        where {{ in_months('year(' ~ date_column ~ ')', 'month(' ~ date_column ~ ')', months) }}
    {%- endif -%}
{% endmacro %}


{#- Every invoice of the sales silver rechecked since `model`'s watermark. -#}
{% macro rechecked_invoices_sql(model) %}
    select checked_sales.invoice_no_clean as invoice_no
    from {{ ref('int_sales_checked') }} as checked_sales
    where checked_sales._checked_at > {{ checked_watermark(model) }}
{% endmacro %}
