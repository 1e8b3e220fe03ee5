{#
    Registers the landing files as external tables in the `landing` schema, so that dbt
    sources can read them. Runs as an on-run-start hook. The tables are dropped and created
    again on every run (metadata only: the files stay), so a new landing path or newly
    delivered files are always picked up, never a stale file listing.

    The sales CSV is registered as text, one row per physical line: bronze parses each line
    with from_csv in PERMISSIVE mode with a corrupt-record column, so a malformed line is kept
    (and its raw text with it) instead of dropped, and a stray quote that Spark's CSV reader
    would silently swallow can still be seen.

    Each table reads the deliveries of its folder only: the files matching the kind's glob
    (`*.csv`, `*.parquet`; a `notes.txt` next to them is not read).

    `landing.customers_files` and `landing.sales_files` list the same folders' files with
    their size and modification time (binaryFile; the content is never read): incremental
    bronze compares them with its manifest of loaded files (landing_file_batch.sql).
#}
{% macro landing_path() -%}
    {%- set path = var('landing_path') | trim -%}
    {%- if not path -%}
        {{ exceptions.raise_compiler_error(
            "The landing path is empty: set LAKEHOUSE_LANDING_DIR to the folder that holds "
            ~ "customers/ and sales/ (the `lakehouse` CLI sets it for you).") }}
    {%- endif -%}
    {%- if not path.startswith('/') and '://' not in path -%}
        {%- set path = env_var('PWD') ~ '/' ~ path -%}
    {%- endif -%}
    {{- path.rstrip('/') -}}
{%- endmacro %}


{#- The options and location of a landing table: the files of one kind's folder that are
    deliveries (the var `landing_file_globs`, as lakehouse/landing/files.py decides; Spark
    itself skips names starting with . or _). -#}
{% macro landing_files_of(kind) -%}
    options (pathGlobFilter '{{ var('landing_file_globs')[kind] }}')
    location {{ sql_string(glob_escaped(landing_path() ~ '/' ~ kind)) }}
{%- endmacro %}


{#- The schema of the landing tables (`landing`, with the var `schema_prefix` before it). -#}
{% macro landing_schema() -%}
    {{ var('schema_prefix', '') }}landing
{%- endmacro %}


{% macro register_landing_tables() %}
    {% if execute %}
        {% set root = landing_path() %}
        {% set columns = [] %}
        {% for column, type in landing_customer_columns().items() %}
            {% do columns.append(column ~ ' ' ~ type) %}
        {% endfor %}
        {% set customer_columns = columns | join(', ') %}
        {% set statements = [
            "create schema if not exists " ~ landing_schema(),
            "drop table if exists " ~ landing_schema() ~ ".customers",
            "create table " ~ landing_schema() ~ ".customers (" ~ customer_columns ~ ")
            using parquet
            " ~ landing_files_of('customers'),
            "drop table if exists " ~ landing_schema() ~ ".customers_files",
            "create table " ~ landing_schema() ~ ".customers_files
            using binaryFile
            " ~ landing_files_of('customers'),
            "drop table if exists " ~ landing_schema() ~ ".sales_lines",
            "create table " ~ landing_schema() ~ ".sales_lines (value string)
            using text
            " ~ landing_files_of('sales'),
            "drop table if exists " ~ landing_schema() ~ ".sales_files",
            "create table " ~ landing_schema() ~ ".sales_files
            using binaryFile
            " ~ landing_files_of('sales'),
        ] %}
        {% for statement in statements %}
            {% do run_query(statement) %}
        {% endfor %}
        {{ log("Landing tables registered from " ~ root, info=true) }}
    {% endif %}
{% endmacro %}
