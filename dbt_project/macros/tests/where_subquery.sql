{#- Data tests see the rows a test's `where` config selects, as in dbt, and, when the build runs
    with `--vars '{tests_scope: changed}'` (the hourly path of `make load`), only the rows this
    build wrote: those of incremental models whose `refreshed_at` is this build's, and those of
    staging models loaded since the last complete build. A model rewrites every row of a key it
    recomputes, so a test comparing rows of one key (the intervals of a phone, the sequence of
    a task) sees the whole key. -#}
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
    {%- if var('tests_scope', 'all') != 'changed' or not execute -%}
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
