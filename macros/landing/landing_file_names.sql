{#
    One canonical name per landing file: its name as the file system has it
    (`sales 2023-03-02.csv`, `müşteri#2.parquet`, `day [2].csv`). The manifest, the batch
    filter, bronze's `_source_file`, the CLI and the summary all use it.

    Spark's `_metadata.file_name` is URI-encoded (a space reads `%20`, `#` reads `%23`, `%`
    reads `%25`, `[` reads `%5B`); url_decode undoes that once `+` is protected, since
    url_decode reads a `+` as a space and a URI path does not. The binaryFile tables' `path`
    column is already decoded.
#}
{% macro landing_file_name(encoded='_metadata.file_name') -%}
    url_decode(replace({{ encoded }}, '+', '%2B'))
{%- endmacro %}


{#- A path as Spark's file reads take it (a table location, text.`...`, parquet.`...`):
    Hadoop reads `\ [ ] { } * ?` in a path as a glob, so each is escaped with a backslash. -#}
{% macro glob_escaped(path) -%}
    {{- path | replace('\\', '\\\\') | replace('[', '\\[') | replace(']', '\\]')
        | replace('{', '\\{') | replace('}', '\\}') | replace('*', '\\*')
        | replace('?', '\\?') -}}
{%- endmacro %}


{#- A landing file read by its path, as a quoted identifier: `format.`path``. -#}
{% macro landing_file_read(format, path) -%}
    {{ format }}.`{{ glob_escaped(path) | replace('`', '``') }}`
{%- endmacro %}
