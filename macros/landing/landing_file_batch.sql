{#
    Incremental bronze: which landing files a build loads.

    The manifest `bronze.landing_files` records every loaded file (kind, name, size,
    modification time, rows loaded, load time). A file is new when the manifest does not
    list it; a listed file whose size or modification time differ has been changed in place,
    and the build stops before anything is written; a listed file that is gone from the
    landing folder is reported and its rows stay in bronze (the lakehouse is the system of
    record once a file is loaded), through --full-refresh too: the bronze models are never
    full-refreshed unless the var rebuild_bronze says so (`lakehouse build --rebuild-bronze`).

    The manifest is partitioned by file kind, so that the two bronze models, which build
    in parallel, write their kinds without conflicting.

    The manifest is created by the on-run-start hook create_landing_manifest, after the
    delivery check: a build the check stops leaves even a new lakehouse without a table.
    Until it exists, every listed file is new.

    Files are listed through the `landing.<kind>_files` tables (binaryFile: path, size and
    modification time, the content is never read), registered by register_landing_tables.
#}

{% macro landing_manifest_relation() -%}
    {{ generate_schema_name('bronze', none) }}.landing_files
{%- endmacro %}


{#- Whether the manifest exists yet (dbt lists the schemas of the project before the
    on-run-start hooks run). -#}
{% macro landing_manifest_exists() %}
    {%- set found = adapter.get_relation(
        database=none, schema=generate_schema_name('bronze', none), identifier='landing_files'
    ) -%}
    {{ return(found is not none) }}
{% endmacro %}


{#- Before any model: the two bronze models would race to create it. -#}
{% macro create_landing_manifest() %}
    {% if not execute %}{{ return('') }}{% endif %}
    {% do run_query("create schema if not exists " ~ generate_schema_name('bronze', none)) %}
    {% do run_query(
        "create table if not exists " ~ landing_manifest_relation() ~ " (
            file_kind string,
            file_name string,
            file_size bigint,
            modified_at timestamp,
            rows_loaded bigint,
            loaded_at timestamp
        )
        using delta
        partitioned by (file_kind)"
    ) %}
{% endmacro %}


{#- The files of a kind, each with its state: new, loaded, changed or removed. -#}
{% macro landing_file_states(kind) %}
    {% set sql %}
        with listed as (
            select
                regexp_extract(path, '[^/]+$', 0) as file_name,
                length as file_size,
                modificationTime as modified_at
            from {{ landing_schema() }}.{{ kind }}_files
        ),
        manifest as (
            {%- if landing_manifest_exists() %}
            select file_name, file_size, modified_at
            from {{ landing_manifest_relation() }}
            where file_kind = '{{ kind }}'
            {%- else %}
            select
                cast(null as string) as file_name,
                cast(null as bigint) as file_size,
                cast(null as timestamp) as modified_at
            where false
            {%- endif %}
        )
        select
            coalesce(listed.file_name, manifest.file_name) as file_name,
            case
                when manifest.file_name is null then 'new'
                when listed.file_name is null then 'removed'
                when listed.file_size != manifest.file_size
                    or listed.modified_at != manifest.modified_at then 'changed'
                else 'loaded'
            end as state,
            cast(listed.file_size as string) as listed_size,
            cast(manifest.file_size as string) as loaded_size,
            cast(listed.modified_at as string) as listed_modified_at,
            cast(manifest.modified_at as string) as loaded_modified_at
        from listed
        full outer join manifest
            on listed.file_name = manifest.file_name
        order by file_name
    {% endset %}
    {{ return(run_query(sql)) }}
{% endmacro %}


{#-
    The files an incremental build of bronze `kind` loads. Stops the build when a loaded
    file changed in place; warns about loaded files that are gone. `loaded_relation` is the
    bronze table: files it holds that the manifest does not list yet (a build stopped between
    the two writes) count as loaded.
-#}
{% macro new_landing_files(kind, loaded_relation) %}
    {% if not execute %}{{ return([]) }}{% endif %}
    {% set states = landing_file_states(kind) %}
    {% do raise_if_landing_files_changed(states) %}
    {% set new_files = [] %}
    {% for row in states %}
        {% if row['state'] == 'new' %}
            {% do new_files.append(row['file_name']) %}
        {% elif row['state'] == 'removed' %}
            {% do log(
                'Warning: landing file ' ~ kind ~ '/' ~ row['file_name'] ~ ' was loaded and is '
                ~ 'no longer in the landing folder; its rows stay in bronze.', info=true
            ) %}
        {% endif %}
    {% endfor %}
    {% if new_files %}
        {#- Files a stopped build appended to bronze without recording them. -#}
        {% set pending = run_query(
            "select distinct _source_file from " ~ loaded_relation
            ~ " where _loaded_at > (select coalesce(max(loaded_at), timestamp '1970-01-01')"
            ~ " from " ~ landing_manifest_relation() ~ " where file_kind = '" ~ kind ~ "')"
        ).columns[0].values() %}
        {% set new_files = new_files | reject('in', pending) | list %}
    {% endif %}
    {{ return(new_files) }}
{% endmacro %}


{#- Stops the run when a loaded file changed in place (states from landing_file_states). -#}
{% macro raise_if_landing_files_changed(states) %}
    {% set changed = [] %}
    {% for row in states if row['state'] == 'changed' %}
        {% do changed.append(
            row['file_name'] ~ ' (loaded: ' ~ row['loaded_size'] ~ ' bytes, modified '
            ~ row['loaded_modified_at'] ~ '; now: ' ~ row['listed_size'] ~ ' bytes, modified '
            ~ row['listed_modified_at'] ~ ')'
        ) %}
    {% endfor %}
    {% if changed %}
        {{ exceptions.raise_compiler_error(
            'Landing file(s) changed in place after they were loaded into bronze: '
            ~ changed | join('; ') ~ '. A loaded file is never loaded twice, and bronze keeps '
            ~ 'the rows it loaded. Either put the file back as it was loaded and deliver the '
            ~ 'new content as a new file (a new name), or replace the loaded rows with the new '
            ~ 'content: `lakehouse build --rebuild-bronze --forget KIND/NAME`, which rebuilds '
            ~ 'bronze from the files present. Nothing was written.'
        ) }}
    {% endif %}
{% endmacro %}


{#-
    Post-hook of a bronze model: records in the manifest every file bronze holds rows of
    that the manifest does not list yet, with its row count; then the delivered files with no
    data row (empty, or a header alone) as loaded with 0 rows, so that the next build does not
    see them as new. A rebuild of bronze (`lakehouse build --rebuild-bronze`) starts the
    manifest of its kind afresh.
-#}
{% macro record_landing_files(kind) %}
    {% if execute %}
        {% if not is_incremental() %}
            {% do run_query(
                "delete from " ~ landing_manifest_relation()
                ~ " where file_kind = '" ~ kind ~ "'"
            ) %}
        {% endif %}
        {% do run_query(
            "merge into " ~ landing_manifest_relation() ~ " as manifest
            using (
                select
                    '" ~ kind ~ "' as file_kind,
                    _source_file as file_name,
                    max(_source_file_size) as file_size,
                    max(_delivered_at) as modified_at,
                    count(*) as rows_loaded,
                    max(_loaded_at) as loaded_at
                from " ~ this ~ "
                where _loaded_at > (
                    select coalesce(max(loaded_at), timestamp '1970-01-01')
                    from " ~ landing_manifest_relation() ~ "
                    where file_kind = '" ~ kind ~ "'
                )
                group by _source_file
            ) as files
            on manifest.file_kind = '" ~ kind ~ "' and manifest.file_name = files.file_name
            when matched then update set *
            when not matched then insert *"
        ) %}
        {% do record_files_without_rows(kind) %}
    {% endif %}
{% endmacro %}


{#-
    The delivered files of a kind that the manifest still does not list after bronze
    recorded its rows: files with no data row, unless one arrived during the build. Each is
    looked at again now (a sales file whose lines, blank ones aside, are at most its header;
    a customers file with no row), and only those are recorded, with 0 rows; a file that
    arrived with data during the build stays new for the next one.
-#}
{% macro record_files_without_rows(kind) %}
    {% set unlisted = run_query(
        "select regexp_extract(listed.path, '[^/]+$', 0) as file_name
        from " ~ landing_schema() ~ "." ~ kind ~ "_files as listed
        left anti join " ~ landing_manifest_relation() ~ " as manifest
            on manifest.file_kind = '" ~ kind ~ "'
            and manifest.file_name = regexp_extract(listed.path, '[^/]+$', 0)"
    ).columns[0].values() | list %}
    {% if not unlisted %}{{ return(none) }}{% endif %}
    {% if kind == 'sales' %}
        {% set with_data = run_query(
            "select " ~ landing_file_name() ~ " from " ~ landing_schema() ~ ".sales_lines
            where " ~ landing_file_name() ~ " in (" ~ sql_string_list(unlisted) ~ ")
                and trim(value) != ''
            group by 1
            having count(*) > 1"
        ).columns[0].values() %}
    {% else %}
        {% set with_data = run_query(
            "select " ~ landing_file_name() ~ " from " ~ landing_schema() ~ ".customers
            where " ~ landing_file_name() ~ " in (" ~ sql_string_list(unlisted) ~ ")
            group by 1"
        ).columns[0].values() %}
    {% endif %}
    {% set empty = unlisted | reject('in', with_data) | list %}
    {% if not empty %}{{ return(none) }}{% endif %}
    {% do run_query(
        "insert into " ~ landing_manifest_relation() ~ "
        select
            '" ~ kind ~ "' as file_kind,
            regexp_extract(path, '[^/]+$', 0) as file_name,
            length as file_size,
            modificationTime as modified_at,
            0 as rows_loaded,
            current_timestamp() as loaded_at
        from " ~ landing_schema() ~ "." ~ kind ~ "_files
        where regexp_extract(path, '[^/]+$', 0) in (" ~ sql_string_list(empty) ~ ")"
    ) %}
    {{ log('Recorded ' ~ empty | length ~ ' ' ~ kind ~ ' file(s) without data rows as loaded: '
        ~ empty | join(', '), info=true) }}
{% endmacro %}
