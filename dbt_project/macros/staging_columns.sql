{#- Raw columns shared by Regal's task-scoped events (task.*, call.*, sms.conversation.*),
    plus the event's own payload columns given as keyword arguments (name=type). -#}
{% macro regal_task_columns() -%}
    {%- set columns = {
        'task_id': 'varchar',
        'channel': 'varchar',
        'type': 'varchar',
        'queue': 'varchar',
        'campaign_id': 'varchar',
        'campaign_friendly_id': 'varchar',
        'campaign_name': 'varchar',
        'contact_phone': 'varchar',
        'phone': 'varchar',
    } -%}
    {%- do columns.update(kwargs) -%}
    {{ return(columns) }}
{%- endmacro %}


{#- The staged form of the envelope: Segment's message id and event time, renamed. -#}
{% macro staged_envelope() -%}
        id as message_id,
        user_id,
        {{ adapter.quote('timestamp') }} as occurred_at,
        received_at,
        uuid_ts as loaded_at
{%- endmacro %}


{#- The staged form of regal_task_columns(). `task_id` is the expression of the task's id:
    call and SMS events may send it as `call_id` / `sms_conversation_id` alone, and that
    fallback is settled in their staging model, once. -#}
{% macro staged_task_fields(task_id='task_id') -%}
        {{ task_id }} as task_id,
        lower(channel) as channel,
        {{ adapter.quote('type') }} as task_type,
        queue,
        campaign_id,
        campaign_friendly_id,
        campaign_name,
        {{ contact_phone() }} as contact_phone
{%- endmacro %}


{#- The contact's number, E.164: Regal names it `contact_phone` in task events and `phone` in
    contact events, and either may come in the other's payload. -#}
{% macro contact_phone(first='contact_phone', second='phone') -%}
    {{ phone_e164('coalesce(' ~ first ~ ', ' ~ second ~ ')') }}
{%- endmacro %}


{#- The raw columns of the sms.* message events (queued, sent, received, undelivered, failed),
    which share one payload shape, plus an event's own columns as keyword arguments. -#}
{% macro sms_message_columns() -%}
    {%- set columns = {
        'sms_conversation_id': 'varchar',
        'agent_email': 'varchar',
        'campaign_id': 'varchar',
        'from_number': 'varchar',
        'to_number': 'varchar',
        'content': 'varchar',
        'media_url': 'varchar',
    } -%}
    {%- do columns.update(kwargs) -%}
    {{ return(columns) }}
{%- endmacro %}


{#- The raw columns of contact.subscribed / contact.unsubscribed. -#}
{% macro consent_event_columns() -%}
    {{ return({
        'phone': 'varchar',
        'contact_phone': 'varchar',
        'channel': 'varchar',
        'source': 'varchar',
        'ip': 'varchar',
        'text': 'varchar',
        '_timestamp': 'varchar',
    }) }}
{%- endmacro %}


{#- The staged times and reported durations of a completed task (call or SMS conversation). -#}
{% macro staged_completion_times() -%}
        {{ epoch_to_timestamp('started_at') }} as started_at,
        {{ epoch_to_timestamp('ended_at') }} as ended_at,
        {{ epoch_to_timestamp('completed_at') }} as completed_at,
        {{ reported_seconds('talk_time') }} as reported_talk_time_s,
        {{ reported_seconds('wrapup_time') }} as reported_wrap_time_s,
        {{ reported_seconds('handle_time') }} as reported_handle_time_s
{%- endmacro %}
