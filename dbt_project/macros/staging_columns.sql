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
        "timestamp" as occurred_at,
        received_at,
        uuid_ts as loaded_at
{%- endmacro %}


{#- The staged form of regal_task_columns(). `task_id` is the expression of the task's id:
    call and SMS events may send it as `call_id` / `sms_conversation_id` alone, and that
    fallback is settled in their staging model, once. -#}
{% macro staged_task_fields(task_id='task_id') -%}
        {{ task_id }} as task_id,
        lower(channel) as channel,
        "type" as task_type,
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


{#- Everything shared by a staged task-scoped event: the envelope, the task fields and `extra`
    (extra payload columns, name -> type), for events with no derivation of their own. -#}
{% macro stage_task_event(table_name, extra={}) -%}
with source as (
    {{ typed_source('regal_voice', table_name, regal_task_columns(**extra)) }}
),

renamed as (
    select
        {{ staged_envelope() }},
        {{ staged_task_fields() }}
        {%- for name in extra %},
        {% if name.endswith('_email') %}lower({{ name }}) as {{ name }}{% else %}{{ name }}{% endif %}
        {%- endfor %}
    from source
)

select * from renamed
{%- endmacro %}


{#- One of the sms.* message events (queued, sent, received, undelivered, failed): same payload
    shape; `extra` names an event's own text columns (`sms.failed`'s `error_code`). -#}
{% macro stage_sms_message(table_name, extra=[]) -%}
{%- set columns = {
    'sms_conversation_id': 'varchar',
    'agent_email': 'varchar',
    'campaign_id': 'varchar',
    'from_number': 'varchar',
    'to_number': 'varchar',
    'content': 'varchar',
    'media_url': 'varchar',
} -%}
{%- for name in extra %}{% do columns.update({name: 'varchar'}) %}{% endfor -%}
with source as (
    {{ typed_source('regal_voice', table_name, columns) }}
),

renamed as (
    select
        {{ staged_envelope() }},
        sms_conversation_id,
        lower(agent_email) as agent_email,
        campaign_id,
        {{ phone_e164('from_number') }} as from_number,
        {{ phone_e164('to_number') }} as to_number,
        content,
        media_url
        {%- for name in extra %},
        {{ name }}
        {%- endfor %}
    from source
)

select * from renamed
{%- endmacro %}


{#- contact.subscribed / contact.unsubscribed: `is_subscribed` comes from the event name. -#}
{% macro stage_consent_event(table_name, is_subscribed) -%}
with source as (
    {{ typed_source('regal_voice', table_name, {
        'phone': 'varchar',
        'contact_phone': 'varchar',
        'channel': 'varchar',
        'source': 'varchar',
        'ip': 'varchar',
        'text': 'varchar',
        '_timestamp': 'varchar',
    }) }}
),

renamed as (
    select
        {{ staged_envelope() }},
        {{ contact_phone('phone', 'contact_phone') }} as phone,
        lower(channel) as channel,
        {{ is_subscribed }} as is_subscribed,
        {{ epoch_to_timestamp('_timestamp') }} as effective_at,
        source,
        ip,
        "text" as opt_in_text
    from source
)

select * from renamed
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
