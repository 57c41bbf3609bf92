{#-
    Incremental builds: each run recomputes only the keys (tasks, calls, phones, days…) that rows
    loaded since the last complete, successful build touched.

    Why one watermark for the whole project rather than `max(loaded_at)` of each model: the
    models that group history by a key (a phone's consent, a day's KPIs) must also delete the
    keys a change moved rows away from, and the set of touched keys must be the same in every
    model of a build. `ops.dbt_builds` records, per `dbt build`/`dbt run`, the raw data's
    high-water mark when it started; the latest complete build that succeeded is where the
    next one starts. A failed build (a model or a test) never advances it, so the next build
    recomputes the same keys again and its tests see the same rows again.
-#}


{#- When the raw data last changed, as `raw_watermark()` in pipelines/transform/build.py computes it
    for the build plan. A schema our loader writes: the newest load dlt committed (every raw
    row carries a `uuid_ts` taken when its file was read, before its load committed, so rows
    loaded after a build starts always have `uuid_ts` later than this). A schema Segment
    loads keeps no load log: the newest `uuid_ts` of its message tables, less a margin,
    because Segment loads a batch table by table and rows committed after a build read the
    newest `uuid_ts` can carry an older one (the next build takes them again; recomputing a
    touched key twice gives the same rows). -#}
{% macro raw_watermark_sql() -%}
    {%- set parts = [] -%}
    {%- for schema in raw_schemas() -%}
        {%- set loads = adapter.get_relation(database=target.database, schema=schema, identifier='_dlt_loads') -%}
        {%- if loads is not none -%}
            {%- do parts.append('select max(inserted_at) as loaded_at from ' ~ loads) -%}
        {%- else -%}
            {%- for table_name in var('segment_loaded_tables') -%}
                {%- set table = adapter.get_relation(database=target.database, schema=schema, identifier=table_name) -%}
                {%- if table is not none -%}
                    {%- do parts.append("select max(uuid_ts) - interval '" ~ var('segment_load_margin_minutes') ~ " minutes' as loaded_at from " ~ table) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if parts -%}
        (select max(loaded_at) from ({{ parts | join(' union all ') }}) as loads)
    {%- else -%}
        cast(null as {{ sql_type('timestamptz') }})
    {%- endif -%}
{%- endmacro %}


{#- Every raw schema: Regal Voice's and every brand source's. -#}
{% macro raw_schemas() -%}
    {{ return([var('regal_voice_schema')] + brand_schemas()) }}
{%- endmacro %}


{#- The raw watermark of the last complete build that succeeded, as text; none when there was
    none (a new warehouse, or one built before builds were recorded). -#}
{% macro changed_since() -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set builds = adapter.get_relation(database=target.database, schema='ops', identifier='dbt_builds') -%}
    {%- if builds is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select {{ utc_text('raw_watermark') }}
        from {{ builds }}
        where status = 'succeeded' and is_complete and raw_watermark is not null
        order by started_at desc
        limit 1
    {%- endset -%}
    {%- set rows = run_query(query).rows -%}
    {{ return(rows[0][0] if rows | length > 0 else none) }}
{%- endmacro %}


{#- A condition true for rows loaded since the last complete build (every row if none). -#}
{% macro loaded_since_last_build(column='loaded_at') -%}
    {%- set since = changed_since() -%}
    {%- if since is none -%}
        true
    {%- else -%}
        {{ column }} > cast('{{ since }}' as {{ sql_type('timestamptz') }})
    {%- endif -%}
{%- endmacro %}


{#- In an incremental run, only rows loaded since the last complete build; in a full build, all. -#}
{% macro new_rows_only(column='loaded_at') -%}
    {%- if is_incremental() -%}
        {{ loaded_since_last_build(column) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- When this build started: the `refreshed_at` of every row it writes, so the rows a build
    recomputed are the rows whose `refreshed_at` is its own. -#}
{% macro build_time() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}+00' as {{ sql_type('timestamptz') }})
{%- endmacro %}


{#- In an incremental run, only the rows of the model this one reads that this build
    recomputed; in a full build, all. -#}
{% macro refreshed_by_this_build_only(column='refreshed_at') -%}
    {%- if is_incremental() -%}
        {{ column }} = {{ build_time() }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- In an incremental run, only rows whose `column` is among the keys `touched_model` lists;
    in a full build, all rows. -#}
{% macro touched_only(column, touched_model, touched_column=none) -%}
    {#- ref() outside the condition: dbt records dependencies while parsing, where
        is_incremental() is false. -#}
    {%- set touched = ref(touched_model) -%}
    {%- if is_incremental() -%}
        {{ column }} in (select {{ touched_column or column.split('.')[-1] }} from {{ touched }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- pre_hook of a model keyed by `column`: delete the rows of every touched key before the
    recomputed ones are inserted, so a key that no longer has rows (a day that lost its only
    task to another day) is not left behind. -#}
{% macro delete_touched(column, touched_model, touched_column=none) -%}
    {%- set touched = ref(touched_model) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ column }} in (select {{ touched_column or column }} from {{ touched }})
    {%- endif -%}
{%- endmacro %}


{#- on-run-start: record the build and the raw data it starts from. -#}
{% macro record_build_start() -%}
    {%- if flags.WHICH not in ('build', 'run') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set args = invocation_args_dict -%}
    {#- Leaving out unit tests and seeds keeps a build complete: neither changes what the
        models hold (the incremental builds skip both; a changed seed rebuilds in full). -#}
    {%- set skipped_types = args.get('exclude_resource_types') or [] -%}
    {#- Nor does leaving out the views, which hold no rows (the hourly build keeps them when no
        raw table has new columns: pipelines/transform/build.py). -#}
    {%- set excluded = args.get('exclude') or [] -%}
    {%- set is_complete = not (args.get('select') or args.get('selector')
        or (excluded | reject('equalto', 'config.materialized:view') | list)
        or args.get('resource_types')
        or (skipped_types | reject('in', ['unit_test', 'seed']) | list)) -%}
    {%- set checksum = var('project_checksum', none) -%}
    {%- do run_and_commit(builds_table_ddl()) -%}
    {%- set record -%}
    insert into ops.dbt_builds
    select
        '{{ invocation_id }}',
        '{{ flags.WHICH }}',
        now(),
        cast(null as {{ sql_type('timestamptz') }}),
        {{ raw_watermark_sql() }},
        {{ "'" ~ checksum ~ "'" if checksum else 'cast(null as ' ~ sql_type('varchar') ~ ')' }},
        {{ 'true' if flags.FULL_REFRESH else 'false' }},
        {{ 'true' if is_complete else 'false' }},
        'running'
    {%- endset -%}
    {{ run_and_commit(record) }}
{%- endmacro %}


{#- The table of builds (the ops schema's other tables are the loader's: ops/schema.py). -#}
{% macro builds_table_ddl() -%}
    {{ return(adapter.dispatch('builds_table_ddl', 'regal_voice_warehouse')()) }}
{%- endmacro %}

{% macro default__builds_table_ddl() -%}
    create schema if not exists ops;
    create table if not exists ops.dbt_builds (
        invocation_id varchar primary key,
        command varchar not null,
        started_at timestamptz not null,
        finished_at timestamptz,
        raw_watermark timestamptz,
        project_checksum varchar,
        is_full_refresh boolean not null,
        is_complete boolean not null,
        status varchar not null
    )
{%- endmacro %}


{#- Hooks run in a transaction dbt rolls back: the record must be committed to stay. -#}
{% macro run_and_commit(sql) -%}
    {{ return(adapter.dispatch('run_and_commit', 'regal_voice_warehouse')(sql)) }}
{%- endmacro %}

{% macro default__run_and_commit(sql) -%}
    {%- do run_query(sql) -%}
    {%- do adapter.commit() -%}
{%- endmacro %}

{#- psycopg2 opens the transaction itself, unknown to dbt (run_query does not begin one), so
    dbt's commit finds none to commit: the hook commits in SQL. -#}
{% macro postgres__run_and_commit(sql) -%}
    {%- do run_query(sql ~ ';\ncommit') -%}
{%- endmacro %}


{#- on-run-end: a build succeeded when no model, test or hook failed or was skipped. -#}
{% macro record_build_end(results) -%}
    {%- if flags.WHICH not in ('build', 'run') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set failed = [] -%}
    {%- for result in results -%}
        {%- if result.status in ('error', 'fail', 'runtime error', 'skipped') -%}
            {%- do failed.append(result) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set record -%}
    update ops.dbt_builds
    set finished_at = now(), status = '{{ "failed" if failed else "succeeded" }}'
    where invocation_id = '{{ invocation_id }}'
    {%- endset -%}
    {{ run_and_commit(record) }}
{%- endmacro %}


{#- For a daily aggregate of `model`: in an incremental run, only rows whose reporting day
    holds a row of `model` this build recomputed (`time_column` places a row on its day), or
    is a day a forget request touched; in a full build, all. -#}
{#- An aggregate keyed by `activity_date` recomputes days whole: those of `days` (a query of
    one date column) and those a forget request touched. Rows of those days only: -#}
{% macro on_days(time_column, days) -%}
    {%- if is_incremental() -%}
        ({{ reporting_date(time_column) }} in ({{ days }})
            or {{ reporting_date(time_column) }} in ({{ forgotten_days() }}))
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- …and its pre_hook deletes those days before they are recomputed. -#}
{% macro delete_days(days) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where activity_date in ({{ days }}) or activity_date in ({{ forgotten_days() }})
    {%- endif -%}
{%- endmacro %}


{#- The days of the rows `model` recomputed in this build, by its `time_column`. -#}
{% macro days_refreshed_in(model, time_column) -%}
    select {{ reporting_date('refreshed.' ~ time_column) }} from {{ ref(model) }} as refreshed
    where refreshed.refreshed_at = {{ build_time() }}
{%- endmacro %}


{% macro on_days_refreshed_in(model, time_column) -%}
    {{ on_days(time_column, days_refreshed_in(model, time_column)) }}
{%- endmacro %}


{% macro delete_days_refreshed_in(model, time_column) -%}
    {{ delete_days(days_refreshed_in(model, time_column)) }}
{%- endmacro %}


{#- The reporting days a forget request touched (the `forgotten_days` var), as a list for
    `in (…)`: their aggregates are recomputed without the person. `null` when there are none,
    which no day equals. -#}
{% macro forgotten_days() -%}
    {%- set days = var('forgotten_days', []) -%}
    {%- for day in days -%}
        cast('{{ day }}' as date){{ ", " if not loop.last }}
    {%- else -%}
        cast(null as date)
    {%- endfor -%}
{%- endmacro %}


{#- Spark runs one statement at a time, and keeps no transaction to commit. -#}
{% macro spark__run_and_commit(sql) -%}
    {%- for statement in sql.split(';') if statement.strip() -%}
        {%- do run_query(statement) -%}
    {%- endfor -%}
{%- endmacro %}

{#- An Iceberg table at <lake>/ops/dbt_builds (the schema's location is the lake's). -#}
{% macro spark__builds_table_ddl() -%}
    create table if not exists ops.dbt_builds (
        invocation_id string not null,
        command string not null,
        started_at timestamp not null,
        finished_at timestamp,
        raw_watermark timestamp,
        project_checksum string,
        is_full_refresh boolean not null,
        is_complete boolean not null,
        status string not null
    ) using iceberg
{%- endmacro %}
