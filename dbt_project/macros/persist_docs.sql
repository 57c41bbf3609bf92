{#- An incremental model's later builds change its rows, never its documentation: the comments
    its first (full) build wrote stay, and a changed description changes the project, which
    builds everything in full. Skipping them saves the hourly build ~2 statements a model. -#}
{% macro persist_docs(relation, model, for_relation=true, for_columns=true) -%}
    {%- if not is_incremental() -%}
        {{ return(adapter.dispatch('persist_docs', 'dbt')(relation, model, for_relation, for_columns)) }}
    {%- endif -%}
{%- endmacro %}
