{#
    Data tests that scale with the new data. On an incremental `dbt build`, the generic
    tests of bronze and silver that judge rows one by one (not_null, accepted_values,
    relationships against the whole parent table, the value expectations) look at the rows
    this build wrote: bronze rows loaded by it (`_loaded_at`) and silver rows it checked
    (`_checked_at`); the landing source's tests look at the files bronze has not loaded. A uniqueness test looks at every row that shares a key with those
    rows, so a new key is compared with the whole table. Tests of a whole table (row counts,
    distinct counts, quantiles, recent data) and everything else run over whole tables: a --full-refresh build, `dbt test` on its
    own (`lakehouse dbt test`), any build with `--vars '{full_tests: true}'`, gold's tests
    (errors that guard what analysts read), the reconciliations and the singular tests (the
    outlier rule, gold against silver): one pass each.

    dbt wraps the model a generic test reads in get_where_subquery (which also applies a
    test's own `where` config); this project's version adds the batch filter.
#}
{% macro spark__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set batch = test_batch_condition(relation) -%}
    {%- set keys = uniqueness_test_keys() -%}
    {%- if batch and (keys or is_row_level_test()) -%}
        {%- if keys -%}
            {%- do conditions.append(
                '(' ~ keys | join(', ') ~ ') in (select ' ~ keys | join(', ')
                ~ ' from ' ~ relation ~ ' where ' ~ batch ~ ')'
            ) -%}
        {%- else -%}
            {%- do conditions.append(batch) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}


{#- The rows of `relation` this build wrote, or none when the test covers the whole table. -#}
{% macro test_batch_condition(relation) %}
    {%- if flags.WHICH != 'build' or flags.FULL_REFRESH or var('full_tests', false) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set since = "timestamp '" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S') ~ "'" -%}
    {%- set name = relation.identifier -%}
    {%- if relation.schema == generate_schema_name('bronze', none)
        and name.startswith('stg_landing__') -%}
        {{ return('_loaded_at >= ' ~ since) }}
    {%- elif relation.schema == generate_schema_name('silver', none)
        and name.startswith(('int_sales_', 'int_customers_'))
        and name.endswith(('_checked', '_validated', '_quarantined')) -%}
        {#- The tables with `_checked_at`; int_sales_parsed, a view over bronze, has none. -#}
        {{ return('_checked_at >= ' ~ since) }}
    {%- elif relation.schema == landing_schema() and name in ('customers', 'sales_lines') -%}
        {#- Source tests run before bronze loads: the files bronze has not loaded yet. -#}
        {{ return(
            landing_file_name() ~ " not in (select file_name from " ~ landing_manifest_relation()
            ~ " where file_kind = '" ~ ('customers' if name == 'customers' else 'sales') ~ "')"
        ) }}
    {%- endif -%}
    {{ return(none) }}
{% endmacro %}


{#- The key columns of a uniqueness test (dbt's unique, the compound-key expectation). -#}
{% macro uniqueness_test_keys() %}
    {%- set metadata = model.test_metadata if model.test_metadata is defined else none -%}
    {%- if metadata is none -%}{{ return([]) }}{%- endif -%}
    {%- set kwargs = metadata.kwargs -%}
    {%- if metadata.name == 'unique' -%}
        {{ return([kwargs.column_name]) }}
    {%- elif metadata.name == 'expect_compound_columns_to_be_unique' -%}
        {{ return(kwargs.column_list) }}
    {%- endif -%}
    {{ return([]) }}
{% endmacro %}


{#- Generic tests that judge each row on its own: a subset of rows gives their verdicts. -#}
{% macro is_row_level_test() %}
    {%- set metadata = model.test_metadata if model.test_metadata is defined else none -%}
    {{ return(metadata is not none and metadata.name in [
        'not_null', 'accepted_values', 'relationships',
        'expect_column_values_to_be_between', 'expect_column_values_to_match_regex',
        'expect_column_values_to_be_in_set', 'expect_column_value_lengths_to_be_between',
        'expect_column_pair_values_to_be_equal', 'expect_column_pair_values_A_to_be_greater_than_B',
        'column_pair_values_within_tolerance',
    ]) }}
{% endmacro %}
