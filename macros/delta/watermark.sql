{#
    Watermarks of the incremental models: what a model has processed is the latest load or
    check time among its own rows. The watermark goes into the model's SQL as a timestamp
    literal, read when the model runs: Delta skips the files whose statistics lie entirely
    below a literal bound, so a build reads the new rows of its inputs, not their history
    (a scalar subquery in the filter would be evaluated after the files are chosen). Without
    `execute` (parsing), the same bound is written as a subquery.
#}

{% macro watermark(relation, column) -%}
    {%- if execute -%}
        {%- set latest = run_query(
            "select cast(max(" ~ column ~ ") as string) from " ~ relation
        ).columns[0].values()[0] -%}
        timestamp '{{ latest or "1970-01-01 00:00:00" }}'
    {%- else -%}
        (select coalesce(max({{ column }}), timestamp '1970-01-01') from {{ relation }})
    {%- endif -%}
{%- endmacro %}


{#- Whether `relation` has a row with `column` after the literal `since`. An incremental
    model asks before it recomputes anything: with nothing new it plans an empty batch, and
    Spark reads none of its inputs. -#}
{% macro has_rows_after(relation, column, since) %}
    {%- if not execute -%}{{ return(true) }}{%- endif -%}
    {%- set found = run_query(
        "select 1 from " ~ relation ~ " where " ~ column ~ " > " ~ since ~ " limit 1"
    ) -%}
    {{ return(found.rows | length > 0) }}
{% endmacro %}
