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


{#- Where each task event falls in a task's lifecycle, in the order TaskRouter emits them: the
    rank orders events that share a timestamp. Named once, here; `task_event()` gives every
    row of int_task_events its event's rank. -#}
{% macro task_lifecycle_ranks() -%}
    {{ return({
        'task.created': 1,
        'task.reservation.created': 2,
        'task.reservation.accepted': 3,
        'call.placed': 4,
        'sms.queued': 5,
        'sms.sent': 5,
        'sms.received': 5,
        'sms.undelivered': 5,
        'call.wrapup': 6,
        'call.completed': 7,
        'sms.conversation.completed': 7,
        'task.canceled': 7,
        'call.recording.available': 8,
    }) }}
{%- endmacro %}


{#- One task event's select list in the shape of int_task_events: `event` names it (and so its
    `event_name` and `lifecycle_rank`). Every event has the staged
    envelope (`message_id`, `occurred_at`, `received_at`, `loaded_at`) and, with
    `task_fields`, the staged task fields under their own names; `values` maps the event's
    other columns (or overrides) to expressions; every remaining column is a typed null. Why:
    every event then has every column in the same order, so the events union by position on
    every engine (PostgreSQL has no `union all by name`). -#}
{% macro task_event(event, values, task_fields=true) -%}
    {%- set names = ['message_id', 'occurred_at', 'received_at', 'loaded_at'] -%}
    {%- if task_fields -%}
        {%- set names = names + ['channel', 'task_type', 'queue', 'campaign_id', 'contact_phone'] -%}
    {%- endif -%}
    {%- set expressions = {} -%}
    {%- for name in names -%}{%- do expressions.update({name: name}) -%}{%- endfor -%}
    {%- do expressions.update({
        'event_name': "'" ~ event ~ "'",
        'lifecycle_rank': task_lifecycle_ranks()[event] | string,
    }) -%}
    {%- do expressions.update(values) -%}
    {%- for name, data_type in task_event_columns() %}
        {%- if name in expressions %}
        {{ expressions[name] }} as {{ name }}
        {%- else %}
        cast(null as {{ sql_type(data_type) }}) as {{ name }}
        {%- endif %}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
