{#
    Run after fct_sales' incremental merge, which only sees the new deliveries' accepted
    invoices. Brings the rest of the fact into line with silver:
      - an invoice silver no longer accepts is deleted (its latest delivery was quarantined,
        so the earlier accepted version is superseded and nothing replaces it);
      - the price-outlier flag follows the current threshold, which moves as sales arrive.
    Delta rewrites only the files holding rows it deletes or updates; with nothing to change
    the fact keeps its files.
#}
{% macro sync_fact_with_silver(fact, silver) %}
    merge into {{ fact }} as fact
    using {{ silver }} as silver
        on fact.invoice_no = silver.invoice_no
    when matched and fact.is_price_outlier != silver.is_price_outlier
        then update set fact.is_price_outlier = silver.is_price_outlier
    when not matched by source
        then delete
{% endmacro %}
