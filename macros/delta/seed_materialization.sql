{#
    Seeds on Spark: reload a seed only when its CSV file (or its column types) changed.

    dbt reloads every seed on every `dbt build`: drop the Delta table, create it and insert
    the rows again, three statements and a new table per seed per build, for reference data
    that changes a few times a year. Here each seed table carries the checksum of what it was
    loaded from as a table property; a build whose seed file has the same checksum leaves the
    table as it is (one metadata query). `--full-refresh`, a changed file, changed
    column_types or a missing table reload it, the way dbt does.
#}

{% macro seed_content_checksum(model) -%}
    {{- local_md5(model.checksum.checksum ~ (model.config.get('column_types', {}) | tojson)) -}}
{%- endmacro %}


{% macro seed_loaded_checksum(relation) -%}
    {#- The checksum property of the seed table, or '' when it has none. -#}
    {{- table_property(relation, 'lakehouse.seed_checksum') -}}
{%- endmacro %}


{% materialization seed, adapter='spark' %}

    {%- set checksum = seed_content_checksum(model) -%}
    {%- set agate_table = load_agate_table() -%}
    {%- do store_result('agate_table', response='OK', agate_table=agate_table) -%}
    {%- set old_relation = adapter.get_relation(
        database=database, schema=schema, identifier=model['alias']) -%}
    {%- set target_relation = this.incorporate(type='table') -%}

    {%- if old_relation is not none and old_relation.is_view -%}
        {{ exceptions.raise_compiler_error(
            "Cannot seed to '" ~ old_relation ~ "': it is a view. Drop it, then run dbt seed.") }}
    {%- endif -%}

    {%- if old_relation is not none and not should_full_refresh()
          and seed_loaded_checksum(old_relation) == checksum -%}
        {% call noop_statement('main', 'UNCHANGED', 'UNCHANGED', 0) -%}
            -- {{ target_relation }} already holds this seed file (checksum {{ checksum }})
        {%- endcall %}
        {{ return({'relations': [target_relation]}) }}
    {%- endif -%}

    {{ run_hooks(pre_hooks) }}
    {%- if old_relation is not none -%}
        {% do adapter.drop_relation(old_relation) %}
    {%- endif -%}
    {%- set create_table_sql = create_csv_table(model, agate_table) -%}
    {%- set rows_affected = agate_table.rows | length -%}
    {%- set insert_sql = load_csv_rows(model, agate_table) if rows_affected > 0 else '' -%}
    {% do set_table_property(target_relation, 'lakehouse.seed_checksum', checksum) %}
    {% call noop_statement('main', 'INSERT ' ~ rows_affected, 'INSERT', rows_affected) -%}
        {{ get_csv_sql(create_table_sql, insert_sql) }};
    {%- endcall %}
    {% do persist_docs(target_relation, model) %}
    {{ run_hooks(post_hooks) }}
    {{ adapter.commit() }}
    {{ return({'relations': [target_relation]}) }}

{% endmaterialization %}
