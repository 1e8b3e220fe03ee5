{#
    The delivery contract, checked inside dbt: an on-run-start hook, run after
    register_landing_tables, so a plain `dbt build` (without the `lakehouse` CLI, which runs
    the same check in Python first) stops before any model is built when a landing file
    breaks the contract, with the same message as `lakehouse check-landing`.

    Only for the commands that read the landing files (build, run, test, retry) when they
    select a node that reads them (bronze, the landing source's tests), and only for
    the files bronze has not loaded yet (all files on a --full-refresh): a loaded file was
    checked when it arrived, so a daily build checks the day's files, not the history. A
    loaded file that changed in place stops the run here, before anything is written
    (landing_file_batch.sql). Per file:
    - sales CSV: the header line (Spark reads the first line only), with every required
      column once. A header that is not the contract's (extra or reordered columns) needs its
      layout in the var `sales_file_layouts` (the CLI passes it), else bronze would read the
      columns by the contract's positions: the hook stops and prints the --vars to pass;
    - sales CSV: every line is valid UTF-8 without NUL bytes (one scan of the sales lines,
      about 5 s per 10M lines on 2 cores, 8.4 s for the whole hook);
    - customers Parquet: the schema in the footer, with the required columns and types.
    Empty files load zero rows and pass. A Parquet file none of whose rows can be read (a
    broken footer, or no rows at all) has its schema read last, after a log line naming it:
    a broken footer stops the run there with Spark's own error.
#}
{% macro check_landing_files() %}
    {% if execute and flags.WHICH in ['build', 'run', 'test', 'retry']
        and reads_landing_files(selected_resources) %}
        {% set root = landing_path() %}
        {% set problems = [] %}
        {% set sales_files = landing_files_to_check('sales') %}
        {% set customers_files = landing_files_to_check('customers') %}
        {% set not_text = sales_encoding_problems(sales_files) %}
        {% for file in sales_files %}
            {% if file.name in not_text %}
                {% do problems.append(not_text[file.name]) %}
            {% else %}
                {% do problems.extend(sales_header_problems(file)) %}
            {% endif %}
        {% endfor %}
        {% set readable = readable_parquet_files(customers_files) %}
        {% set unread = [] %}
        {% for file in customers_files %}
            {% if file.name in readable %}
                {% do problems.extend(customers_schema_problems(file)) %}
            {% else %}
                {% do unread.append(file) %}
            {% endif %}
        {% endfor %}
        {#- A file no row could be read from is a broken footer or a file without rows: its
            schema is read last, as reading a broken footer fails the query. -#}
        {% for file in unread %}
            {% if problems %}
                {% do problems.append("customers/" ~ file.name ~ ": not checked, no row of it "
                    ~ "could be read (a broken Parquet footer, or no rows); "
                    ~ "`lakehouse check-landing` tells which.") %}
            {% else %}
                {{ log("Reading the Parquet footer of customers/" ~ file.name ~ " (no row of "
                    ~ "it could be read; if Spark fails here, the file is not a readable "
                    ~ "Parquet file)", info=true) }}
                {% do problems.extend(customers_schema_problems(file)) %}
            {% endif %}
        {% endfor %}
        {% if problems %}
            {{ exceptions.raise_compiler_error(
                "The landing folder " ~ root ~ " breaks the delivery contract; no table was "
                ~ "changed:\n  - " ~ problems | join("\n  - ")
                ~ "\n  -> Fix or remove the named files (move them aside, e.g. into a "
                ~ "`_rejected/` subfolder), then rerun. Expected sales columns: "
                ~ var('sales_csv_header') ~ "; customer columns: "
                ~ landing_customer_columns().keys() | join(',') ~ ".") }}
        {% endif %}
        {{ log("Landing files checked against the delivery contract: "
            ~ sales_files | length ~ " sales, " ~ customers_files | length ~ " customers.",
            info=true) }}
    {% endif %}
{% endmacro %}


{#- Whether the selected nodes read the landing files: the bronze models, or the tests of
    the landing source. A build of other models (`-s dim_shopping_malls`) is not held up by
    the state of the landing folder. -#}
{% macro reads_landing_files(selected) %}
    {% for unique_id in selected %}
        {% if unique_id.startswith(('model.' ~ project_name ~ '.stg_landing__',
                                    'test.' ~ project_name ~ '.source_')) %}
            {{ return(true) }}
        {% endif %}
    {% endfor %}
    {{ return(false) }}
{% endmacro %}


{#- The customer columns and their types: the var `customer_columns`, which mirrors
    lakehouse/landing/contract.py. -#}
{% macro landing_customer_columns() %}
    {{ return(var('customer_columns')) }}
{% endmacro %}


{#- The files of a kind to check: those bronze has not loaded (every file on a rebuild of
    bronze, which reads them all again).
    Listed by the binaryFile table register_landing_tables made (it lists files without
    reading them; like the text and Parquet tables, it skips hidden and `_` files). -#}
{% macro landing_files_to_check(kind) %}
    {% set unloaded = none %}
    {% if not (flags.FULL_REFRESH and var('rebuild_bronze', false)) %}
        {% set unloaded = [] %}
        {% set states = landing_file_states(kind) %}
        {% do raise_if_landing_files_changed(states) %}
        {% for row in states if row['state'] == 'new' %}
            {% do unloaded.append(row['file_name']) %}
        {% endfor %}
    {% endif %}
    {% set listing = run_query(
        "select regexp_extract(path, '[^/]+$', 0), path from " ~ landing_schema() ~ "." ~ kind
        ~ "_files"
        ~ " order by 1") %}
    {% set files = [] %}
    {% for row in listing.rows if unloaded is none or row[0] in unloaded %}
        {% do files.append({'name': row[0], 'path': row[1]}) %}
    {% endfor %}
    {{ return(files) }}
{% endmacro %}


{#- A filter on the files to check, for a scan of a landing table. -#}
{% macro landing_file_filter(files) -%}
    {{ landing_file_name() }} in (
        {%- for file in files %}{{ sql_string(file.name) }}{{ ', ' if not loop.last }}{% endfor -%}
    )
{%- endmacro %}


{% macro sales_header_problems(file) %}
    {% set name = 'sales/' ~ file.name %}
    {% set problems = [] %}
    {% set first = run_query(
        "select value from " ~ landing_file_read('text', file.path) ~ " limit 1") %}
    {% set header = (first.rows[0][0] if first.rows else '') | replace('\ufeff', '') %}
    {% set required = var('sales_csv_header').split(',') %}
    {% set columns = [] %}
    {% for column in header.split(',') %}
        {% do columns.append(column.strip().strip('"')) %}
    {% endfor %}
    {% for column in required if column not in columns %}
        {% do problems.append(name ~ ": required column '" ~ column ~ "' is missing (header: "
            ~ header[:200] ~ ").") %}
    {% endfor %}
    {% for column in columns | unique | sort if columns.count(column) > 1 %}
        {% do problems.append(name ~ ": column '" ~ column ~ "' appears more than once.") %}
    {% endfor %}
    {% set layout = sales_file_layouts().get(file.name) %}
    {% if not problems and header and header != var('sales_csv_header') %}
        {% if layout is none or layout.header != header %}
            {% set positions = {} %}
            {% for column in required %}
                {% do positions.update({column: columns.index(column)}) %}
            {% endfor %}
            {% set needed = {file.name: {
                'header': header, 'width': columns | length, 'positions': positions
            }} %}
            {% do problems.append(name ~ ": the header is not the contract's (extra or "
                ~ "reordered columns) and no layout for it was passed, so bronze would read "
                ~ "its columns at the wrong positions. Build through `lakehouse dbt build`, "
                ~ "which passes the layout, or add --vars '"
                ~ tojson({'sales_file_layouts': needed}) ~ "'.") %}
        {% endif %}
    {% endif %}
    {{ return(problems) }}
{% endmacro %}


{#- One scan of every sales line: a byte that is not UTF-8, or a NUL byte. -#}
{% macro sales_encoding_problems(sales_files) %}
    {% set problems = {} %}
    {% if sales_files %}
        {% set bad = run_query(
            "select " ~ landing_file_name() ~ ", count(*), any_value(make_valid_utf8(value))
            from " ~ landing_schema() ~ ".sales_lines
            where
                " ~ landing_file_filter(sales_files) ~ "
                and (not is_valid_utf8(value) or contains(value, char(0)))
            group by 1
            order by 1") %}
        {% for row in bad.rows %}
            {% do problems.update({row[0]: "sales/" ~ row[0] ~ " is not a UTF-8 text CSV file ("
                ~ row[1] ~ " line(s) with a byte that is not UTF-8 or a NUL byte, e.g. "
                ~ row[2][:100] | replace('\x00', '\\x00') ~ "; `lakehouse check-landing` "
                ~ "names the first one's line)."}) %}
        {% endfor %}
    {% endif %}
    {{ return(problems) }}
{% endmacro %}


{#- The customers files Spark reads rows from (row counts come from the footers; a file whose
    footer is broken is skipped here instead of failing the query). -#}
{% macro readable_parquet_files(customers_files) %}
    {% set readable = [] %}
    {% if customers_files %}
        {% set setting = 'spark.sql.files.ignoreCorruptFiles' %}
        {% set before = run_query('set ' ~ setting).rows[0][1] %}
        {% do run_query('set ' ~ setting ~ '=true') %}
        {% set found = run_query(
            'select ' ~ landing_file_name() ~ ' from ' ~ landing_schema() ~ '.customers where '
            ~ landing_file_filter(customers_files) ~ ' group by 1') %}
        {% do run_query('set ' ~ setting ~ '=' ~ before) %}
        {% for row in found.rows %}
            {% do readable.append(row[0]) %}
        {% endfor %}
    {% endif %}
    {{ return(readable) }}
{% endmacro %}


{% macro customers_schema_problems(file) %}
    {% set name = 'customers/' ~ file.name %}
    {% set described = run_query(
        "describe query select * from " ~ landing_file_read('parquet', file.path)) %}
    {% set found = {} %}
    {% for row in described.rows %}
        {% do found.update({row[0]: row[1]}) %}
    {% endfor %}
    {% set problems = [] %}
    {% for column, wanted in landing_customer_columns().items() %}
        {% if column not in found %}
            {% do problems.append(name ~ ": required column '" ~ column ~ "' is missing "
                ~ "(columns: " ~ found.keys() | join(', ') ~ ").") %}
        {% elif found[column] != wanted %}
            {% do problems.append(name ~ ": column '" ~ column ~ "' is " ~ found[column]
                ~ ", expected " ~ wanted ~ ".") %}
        {% endif %}
    {% endfor %}
    {{ return(problems) }}
{% endmacro %}
