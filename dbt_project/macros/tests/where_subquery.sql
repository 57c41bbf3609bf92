{#- Data tests see the rows a test's `where` config selects, as in dbt, and, in a `dbt build`
    without `--full-refresh` (the hourly path of `make load`), only the rows this build wrote:
    those of incremental models whose `refreshed_at` is this build's, and those of staging
    models loaded since the last complete build. A model rewrites every row of a key it
    recomputes, so a test comparing rows of one key (the intervals of a phone, the sequence of
    a task) sees the whole key. `dbt test`, a full build, or `--vars '{tests_scope: all}'` test
    every row. The scope is not a var the loader passes: dbt parses again whenever the vars
    change, which cost the first hourly run after a full build 7 s. -#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set changed = changed_rows_condition(relation) -%}
    {%- if changed -%}
        {%- do conditions.append(changed) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}


{% macro changed_rows_condition(relation) -%}
    {%- set incremental = flags.WHICH == 'build' and not flags.FULL_REFRESH -%}
    {%- if var('tests_scope', 'changed' if incremental else 'all') != 'changed' or not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.alias == relation.identifier
            and node.schema == relation.schema -%}
            {%- if 'refreshed_at' in node.columns -%}
                {{ return('refreshed_at = ' ~ build_time()) }}
            {%- elif 'loaded_at' in node.columns -%}
                {%- set condition = loaded_since_last_build('loaded_at') -%}
                {{ return('' if condition == 'true' else condition) }}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}
