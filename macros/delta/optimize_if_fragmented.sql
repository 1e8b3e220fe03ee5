{#
    OPTIMIZE a partitioned Delta table, Z-ordered by the columns analysts filter on, when
    loads have left it fragmented: more than `max_files_per_partition` files per partition
    on average (var `optimize_max_files_per_partition` by default). Merges of small daily
    deliveries add a file to each partition they touch; compaction brings a month back to
    one file, and Z-ordering within it lets Delta's file statistics skip files for filters
    on those columns once a month spans several files.

    Used as a post-hook of fct_sales, and by hand after a large load:
      lakehouse dbt run-operation optimize_if_fragmented --args \
        '{relation: gold.fct_sales, partition_by: [invoice_year, invoice_month],
          zorder_by: [shopping_mall, category], max_files_per_partition: 0}'
    Runs its statements itself and renders no SQL of its own.
#}
{% macro optimize_if_fragmented(relation, partition_by, zorder_by, max_files_per_partition=none) %}
    {% if execute %}
        {% set limit = max_files_per_partition if max_files_per_partition is not none
            else var('optimize_max_files_per_partition') %}
        {% set detail = run_query('describe detail ' ~ relation) %}
        {% set files = detail.columns['numFiles'].values()[0] | int %}
        {% set partitions = run_query(
            'select count(*) from (select distinct ' ~ partition_by | join(', ')
            ~ ' from ' ~ relation ~ ')'
        ).columns[0].values()[0] | int %}
        {% if files > limit * ([partitions, 1] | max) %}
            {% do log(
                'optimize_if_fragmented: ' ~ relation ~ ' has ' ~ files ~ ' files in '
                ~ partitions ~ ' partitions; OPTIMIZE ZORDER BY ' ~ zorder_by | join(', '),
                info=true
            ) %}
            {% do run_query(
                'optimize ' ~ relation ~ ' zorder by (' ~ zorder_by | join(', ') ~ ')'
            ) %}
        {% endif %}
    {% endif %}
{% endmacro %}
