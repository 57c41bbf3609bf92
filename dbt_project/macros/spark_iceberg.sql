{#-
    dbt-spark over an Iceberg lake: what the adapter does not do the way the project needs.

    - A schema's tables live at `<lake>/<schema>/<table>/` (Hive's default is `<schema>.db`),
      so that any engine finds a table where the README says.
    - The project's incremental strategy, `delete+insert` (a touched key's rows are replaced
      whole, however many a key has), which dbt-spark does not offer: the new rows are written
      to a staging table first (the temporary view dbt-spark makes would be read again after
      the delete, and some models read their own table), then the keys are deleted and the
      rows inserted. Spark has no transaction over the two; a build that fails between them
      is recorded as failed, and the next build recomputes the same keys.
    - A view is dropped before it is created again. Iceberg keeps a view in a Hive metastore as
      an Iceberg view, and `create or replace` writes its new version there, but Spark 3.5
      reads a session-catalog view from the metastore's own view text, which only creation
      writes: a replaced view kept answering with its first SQL (a column the raw table
      gained later stayed null).
    - A table dropped (a full refresh) goes with its files (`purge`): a table created again at
      the same place starts its metadata files from 00000 again, and a reader that opens the
      newest file of `metadata/` must not find the dropped table's there.
-#}

{% macro spark__create_schema(relation) -%}
    {%- call statement('create_schema') -%}
        create schema if not exists {{ relation }}
        location '{{ env_var('SPARK_LAKE') }}/{{ relation.schema }}'
    {%- endcall -%}
{%- endmacro %}


{#- dbt-spark's validation, with `delete+insert` for Iceberg tables. -#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) -%}
    {%- if raw_strategy == 'delete+insert' and file_format == 'iceberg' -%}
        {{ return(raw_strategy) }}
    {%- endif -%}
    {{ return(dbt.dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format)) }}
{%- endmacro %}


{#- dbt-spark's incremental SQL, with `delete+insert`: this returns the insert, the last step. -#}
{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) -%}
    {%- if strategy != 'delete+insert' -%}
        {{ return(dbt.dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates)) }}
    {%- endif -%}
    {%- set staged = staged_rows_relation(target) -%}
    {%- do run_query('drop table if exists ' ~ staged ~ ' purge') -%}
    {#- Its files in the lake's own folder, not among the analysts' tables. -#}
    {%- do run_query(
        'create table ' ~ staged ~ ' using iceberg location \'' ~ env_var('SPARK_LAKE')
        ~ '/_spark/staged/' ~ target.schema ~ '/' ~ target.identifier ~ '\' as select * from ' ~ source
    ) -%}
    {%- if unique_key -%}
        {%- set keys = [unique_key] if unique_key is string else unique_key -%}
        {%- do run_query(
            'delete from ' ~ target ~ ' where ' ~ ('(' ~ keys | join(', ') ~ ')' if keys | length > 1 else keys[0])
            ~ ' in (select ' ~ keys | join(', ') ~ ' from ' ~ staged ~ ')'
        ) -%}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(target) | map(attribute='quoted') | join(', ') -%}
    insert into {{ target }} select {{ columns }} from {{ staged }}
{%- endmacro %}


{#- The staging table of a model's new rows, beside it; dropped by the model's post-hook. -#}
{% macro staged_rows_relation(target) -%}
    {{ return(target.incorporate(path={'identifier': target.identifier ~ '__dbt_staged'})) }}
{%- endmacro %}


{#- post-hook of every incremental model: its staging table goes, files and all. -#}
{% macro drop_staged_rows() -%}
    {{ return(adapter.dispatch('drop_staged_rows', 'regal_voice_warehouse')()) }}
{%- endmacro %}

{% macro default__drop_staged_rows() -%}
{%- endmacro %}

{% macro spark__drop_staged_rows() -%}
    {%- if config.get('materialized') == 'incremental' -%}
        drop table if exists {{ staged_rows_relation(this) }} purge
    {%- endif -%}
{%- endmacro %}


{#- Column descriptions. A Hive metastore keeps at most 256 characters of a column's comment
    (and fails the whole statement beyond), so a view's columns carry the first 250. A
    table's columns carry none on Spark: dbt-spark writes each as an Iceberg commit of its
    own, every build (about 600 commits a build); the docs site has every description. -#}
{% macro get_column_comment_sql(column_name, column_dict) -%}
    {%- set description = column_dict[column_name]['description'] if column_name in column_dict else '' -%}
    {{ adapter.quote(column_name) }}
    {%- if description %} comment '{{ metastore_comment(description) }}'{% endif %}
{%- endmacro %}

{% macro spark__alter_column_comment(relation, column_dict) -%}
{%- endmacro %}

{% macro metastore_comment(text) -%}
    {%- set short = text if text | length <= 250 else text[:249] ~ '…' -%}
    {{ return(short | replace('\\', '\\\\') | replace("'", "\\'")) }}
{%- endmacro %}


{% macro spark__create_view_as(relation, sql) -%}
    {%- do run_query('drop view if exists ' ~ relation) -%}
    {{ return(dbt.spark__create_view_as(relation, sql)) }}
{%- endmacro %}


{% macro spark__drop_relation(relation) -%}
    {%- call statement('drop_relation', auto_begin=False) -%}
        drop {{ relation.type }} if exists {{ relation }}{{ ' purge' if relation.type == 'table' }}
    {%- endcall -%}
{%- endmacro %}


{#- Seeds on Spark: dbt-spark binds each value as `'<value>'` text, so an empty cell (None)
    arrives as the text 'None' and a quote breaks the statement. Its batches, with each value
    written as a literal: null as null, text escaped. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    cast({{ seed_literal(row[loop.index0]) }} as {{ type }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor -%}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first %}{% do statements.append(sql) %}{% endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}

{% macro seed_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is sameas true or value is sameas false -%}
        {{ 'true' if value else 'false' }}
    {%- elif value is number -%}
        {{ value }}
    {%- else -%}
        '{{ value | string | replace('\\', '\\\\') | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}
