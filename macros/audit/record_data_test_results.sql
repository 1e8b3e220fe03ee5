{#
    Quality history: appends the result of every data test (and unit test) of this invocation
    to `audit.data_test_history`, a Delta table created on first use. Runs as an on-run-end
    hook with dbt's `results`; only `dbt build` and `dbt test` record anything (other commands
    run no tests). `lakehouse quality` prints the latest run and the trend across runs.

    One row per test and invocation: the test, the model (or source) it tests, its severity,
    status (pass, warn, fail, error, skipped), failing rows, execution time, the invocation id,
    when the invocation started, and where store_failures kept the failing rows (tests that
    found failing rows only).
#}

{% macro data_test_history_relation() -%}
    audit.data_test_history
{%- endmacro %}


{% macro create_data_test_history() %}
    {% do run_query("create schema if not exists audit") %}
    {% do run_query(
        "create table if not exists " ~ data_test_history_relation() ~ " (
            invocation_id string,
            run_started_at timestamp,
            recorded_at timestamp,
            dbt_command string,
            test_unique_id string,
            test_name string,
            test_kind string,
            tested_node string,
            column_name string,
            severity string,
            status string,
            failures bigint,
            execution_time_s double,
            message string,
            failures_relation string
        )
        using delta"
    ) %}
{% endmacro %}


{% macro audit_sql_string(value, max_length=2000) -%}
    {%- if value is none -%}
        null
    {%- else -%}
        '{{ (value | string)[:max_length] | replace("\\", "\\\\") | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}


{% macro tested_node_name(node) -%}
    {%- set unique_ids = [] -%}
    {%- if node.resource_type == 'unit_test' -%}
        {%- do unique_ids.append(node.tested_node_unique_id or '') -%}
    {%- elif node.attached_node -%}
        {%- do unique_ids.append(node.attached_node) -%}
    {%- else -%}
        {%- for unique_id in node.depends_on.nodes -%}
            {%- do unique_ids.append(unique_id) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for unique_id in unique_ids if unique_id -%}
        {%- set parts = unique_id.split('.') -%}
        {%- if parts[0] == 'source' -%}
            {%- do names.append(parts[-2] ~ '.' ~ parts[-1]) -%}
        {%- else -%}
            {%- do names.append(parts[-1]) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- names | join(', ') -}}
{%- endmacro %}


{% macro record_data_test_results(results) %}
    {% if execute and flags.WHICH in ['build', 'test'] %}
        {% set rows = [] %}
        {% for result in results if result.node.resource_type in ['test', 'unit_test'] %}
            {% set node = result.node %}
            {% set config = node.config %}
            {# Failing rows are kept only for tests that found some (test_materialization.sql). #}
            {% set failures_relation = node.relation_name
                if config.store_failures and (result.failures or 0) > 0 else none %}
            {% do rows.append(
                "(" ~ audit_sql_string(invocation_id)
                ~ ", timestamp " ~ audit_sql_string(run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f'))
                ~ ", current_timestamp()"
                ~ ", " ~ audit_sql_string(flags.WHICH)
                ~ ", " ~ audit_sql_string(node.unique_id)
                ~ ", " ~ audit_sql_string(node.name)
                ~ ", " ~ audit_sql_string(
                    'unit_test' if node.resource_type == 'unit_test'
                    else ('singular' if not node.test_metadata else 'generic'))
                ~ ", " ~ audit_sql_string(tested_node_name(node))
                ~ ", " ~ audit_sql_string(node.column_name if node.column_name else none)
                ~ ", " ~ audit_sql_string(config.severity | lower if config.severity else none)
                ~ ", " ~ audit_sql_string(result.status | string)
                ~ ", " ~ (result.failures if result.failures is not none else 'null')
                ~ ", " ~ (result.execution_time | round(3))
                ~ ", " ~ audit_sql_string(result.message)
                ~ ", " ~ audit_sql_string(failures_relation)
                ~ ")"
            ) %}
        {% endfor %}
        {% if rows %}
            {% do create_data_test_history() %}
            {% for batch in rows | batch(200) %}
                {% do run_query(
                    "insert into " ~ data_test_history_relation() ~ " values "
                    ~ batch | join(",\n")
                ) %}
            {% endfor %}
            {{ log("Recorded " ~ rows | length ~ " test results in "
                ~ data_test_history_relation(), info=true) }}
        {% endif %}
    {% endif %}
{% endmacro %}
