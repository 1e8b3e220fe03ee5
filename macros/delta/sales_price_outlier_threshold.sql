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


{#
    Post-hook of fct_sales: the threshold moves as sales arrive; rows whose flag no longer
    matches it are updated. Delta rewrites only the files holding such rows and commits
    nothing when no flag changes.
#}
{% macro reflag_price_outliers(fact, checked_sales) %}
    {% if execute %}
        {% set threshold = run_query(sales_price_outlier_threshold_sql(checked_sales)).columns[0].values()[0] %}
        {% if threshold is not none %}
            {% do run_query(
                "update " ~ fact ~ " set is_price_outlier = (amount_try >= " ~ threshold ~ ")"
                ~ " where is_price_outlier != (amount_try >= " ~ threshold ~ ")"
            ) %}
        {% endif %}
    {% endif %}
{% endmacro %}
