{#
    OPTIMIZE a partitioned Delta table, Z-ordered by the columns analysts filter on, when
    loads have left it fragmented: more than `max_files_per_partition` files per partition
    on average (var `optimize_max_files_per_partition` by default). Merges of small daily
    deliveries add a file to each partition they touch; compaction brings a month back to
    one file, and Z-ordering within it lets Delta's file statistics skip files for filters
    on those columns once a month spans several files.

    Used as a post-hook of fct_sales, and by hand after a large load:
      lakehouse dbt run-operation optimize_if_fragmented --args \
        '{relation: gold.fct_sales, zorder_by: [shopping_mall, category],
          max_files_per_partition: 0}'
    Runs its statements itself and renders no SQL of its own.
#}
{% macro optimize_if_fragmented(relation, zorder_by, max_files_per_partition=none) %}
    {% if execute %}
        {% set limit = max_files_per_partition if max_files_per_partition is not none
            else var('optimize_max_files_per_partition') %}
        {% set detail = run_query('describe detail ' ~ relation) %}
        {% set files = detail.columns['numFiles'].values()[0] | int %}
        {#- `show partitions` answers from the Delta log; counting distinct partition values
            over the rows scanned the whole table (10 s a build at 10M rows). -#}
        {% set partitions = run_query('show partitions ' ~ relation) | length %}
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
