{#
    The price-outlier threshold: the `price_outlier_quantile` (p99) quantile of the amounts
    of accepted sales. One definition for silver (int_sales_validated flags against it) and
    for gold (fct_sales re-flags its rows when it moved). Accepted amounts take few distinct
    values, so the quantile is taken over the count per amount, which gives the same value
    as over every row and costs one small aggregate.
#}
{% macro sales_price_outlier_threshold_sql(checked_sales) -%}
    select
        percentile(
            amounts.amount_try, {{ var('price_outlier_quantile') }}, amounts.invoice_count
        ) as outlier_threshold_try
    from (
        select
            amount_try,
            count(*) as invoice_count
        from {{ checked_sales }}
        where outcome = 'accepted'
        group by amount_try
    ) as amounts
{%- endmacro %}


{#- The threshold's value, read when the model runs; none while no sale is accepted. -#}
{% macro sales_price_outlier_threshold(checked_sales) %}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {{ return(run_query(sales_price_outlier_threshold_sql(checked_sales)).columns[0].values()[0]) }}
{% endmacro %}


{#
    Post-hook of fct_sales: the threshold moves as sales arrive. The fact records the
    threshold its flags follow as the table property `lakehouse.price_outlier_threshold_try`;
    when the threshold differs from it, the rows whose flag no longer matches are updated
    (Delta rewrites only the files holding such rows), then the property. A build that stops
    between the two updates again, which changes nothing, and records it. While the
    threshold stays, the fact is not read at all.
#}
{% macro reflag_price_outliers(fact, checked_sales) %}
    {%- if execute -%}
        {%- set threshold = sales_price_outlier_threshold(checked_sales) -%}
        {%- if threshold is not none
            and (threshold | string) != price_outlier_threshold_of(fact) -%}
            {%- do run_query(
                "update " ~ fact ~ " set is_price_outlier = (amount_try >= " ~ threshold ~ ")"
                ~ " where is_price_outlier != (amount_try >= " ~ threshold ~ ")"
            ) -%}
            {%- do set_table_property(fact, 'lakehouse.price_outlier_threshold_try', threshold) -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}


{#- The threshold the fact's flags follow, as a string ('' before the first record). -#}
{% macro price_outlier_threshold_of(fact) -%}
    {{- table_property(fact, 'lakehouse.price_outlier_threshold_try') -}}
{%- endmacro %}


{#- The threshold as a SQL literal (null before the fact recorded one). -#}
{% macro price_outlier_threshold_literal(threshold) -%}
    cast({{ threshold or 'null' }} as double)
{%- endmacro %}


{#- Whether price_outlier_invoices is recomputed whole: on a full build, when it holds no
    row, or when its rows follow another threshold than the fact's flags. Otherwise it
    recomputes the invoices silver rechecked since its watermark. -#}
{% macro price_outliers_recomputed_whole(model, threshold) %}
    {%- if not execute or not is_incremental() -%}{{ return(true) }}{%- endif -%}
    {%- set up_to_date = run_query(
        "select count(*) > 0 and count_if(outlier_threshold_try <=> "
        ~ price_outlier_threshold_literal(threshold) ~ ") = count(*) from " ~ model
    ).columns[0].values()[0] -%}
    {{ return(not up_to_date) }}
{% endmacro %}


{#- Pre-hook of price_outlier_invoices: deletes the rows it recomputes. -#}
{% macro delete_price_outliers_to_recompute(model, fact) %}
    {%- set threshold = price_outlier_threshold_of(fact) -%}
    {%- if price_outliers_recomputed_whole(model, threshold) -%}
        {{ delete_stale_keys(model, ['invoice_no'], 'select invoice_no from ' ~ model) }}
    {%- else -%}
        {{ delete_stale_keys(model, ['invoice_no'], rechecked_invoices_sql(model)) }}
    {%- endif -%}
{% endmacro %}
