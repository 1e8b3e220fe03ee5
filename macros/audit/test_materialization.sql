{#
    Data tests on Spark: a passing test costs one query.

    dbt's own test materialization, with store_failures, first creates the failures relation
    (drop + create view) and then counts its rows: three statements per test, each paying
    Spark's fixed cost per statement, although most tests pass on most builds. This one counts
    first, on the test's own SQL, and keeps the failing rows only when there are some:

    - no failing row: the test is one query; a failures view left by an earlier failing run
      is dropped, so `audit` holds the failing rows of tests that fail, and nothing stale;
    - failing rows: the view `audit.<test name>` is created over the test's SQL, as dbt does,
      for `lakehouse quality` and for anyone who wants to look at the rows.

    Tests without store_failures are one query, as with dbt's own materialization.
#}

{%- materialization test, adapter='spark' -%}

    {%- set limit = config.get('limit') -%}
    {%- set sql_with_limit = get_limit_subquery_sql(sql, limit) -%}

    {% call statement('main', fetch_result=True) -%}
        {{ get_test_sql(sql_with_limit, config.get('fail_calc'), config.get('warn_if'),
            config.get('error_if'), limit=none) }}
    {%- endcall %}

    {%- if not should_store_failures() -%}
        {{ return({'relations': []}) }}
    {%- endif -%}

    {%- set failures = load_result('main')['table'].rows[0][0] -%}
    {%- set old_relation = adapter.get_relation(
        database=database, schema=schema, identifier=model['alias']) -%}
    {%- if old_relation -%}
        {% do adapter.drop_relation(old_relation) %}
    {%- endif -%}
    {%- if not failures -%}
        {{ return({'relations': []}) }}
    {%- endif -%}

    {%- set target_relation = api.Relation.create(
        identifier=model['alias'], schema=schema, database=database,
        type=config.get('store_failures_as') or 'table') -%}
    {% call statement('store_failures') -%}
        {{ get_create_sql(target_relation, sql_with_limit) }}
    {%- endcall %}
    {{ adapter.commit() }}
    {{ return({'relations': [target_relation]}) }}

{%- endmaterialization -%}
