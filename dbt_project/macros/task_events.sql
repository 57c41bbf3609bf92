{#- The columns of int_task_events, in order, with their types. -#}
{% macro task_event_columns() -%}
    {{ return([
        ('message_id', 'varchar'),
        ('task_id', 'varchar'),
        ('event_name', 'varchar'),
        ('lifecycle_rank', 'integer'),
        ('occurred_at', 'timestamptz'),
        ('received_at', 'timestamptz'),
        ('loaded_at', 'timestamptz'),
        ('channel', 'varchar'),
        ('task_type', 'varchar'),
        ('queue', 'varchar'),
        ('campaign_id', 'varchar'),
        ('contact_phone', 'varchar'),
        ('direction', 'varchar'),
        ('agent_email', 'varchar'),
        ('cancelation_reason', 'varchar'),
        ('cancelation_source', 'varchar'),
        ('canceled_by', 'varchar'),
    ]) }}
{%- endmacro %}


{#- One task event's select list in the shape of int_task_events. Every event has the staged
    envelope (`message_id`, `occurred_at`, `received_at`, `loaded_at`) and, with
    `task_fields`, the staged task fields under their own names; `values` maps the event's
    other columns (or overrides) to expressions; every remaining column is a typed null. Why:
    every event then has every column in the same order, so the events union by position on
    every engine (PostgreSQL has no `union all by name`). -#}
{% macro task_event(values, task_fields=true) -%}
    {%- set names = ['message_id', 'occurred_at', 'received_at', 'loaded_at'] -%}
    {%- if task_fields -%}
        {%- set names = names + ['channel', 'task_type', 'queue', 'campaign_id', 'contact_phone'] -%}
    {%- endif -%}
    {%- set expressions = {} -%}
    {%- for name in names -%}{%- do expressions.update({name: name}) -%}{%- endfor -%}
    {%- do expressions.update(values) -%}
    {%- for name, data_type in task_event_columns() %}
        {%- if name in expressions %}
        {{ expressions[name] }} as {{ name }}
        {%- else %}
        cast(null as {{ data_type }}) as {{ name }}
        {%- endif %}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
