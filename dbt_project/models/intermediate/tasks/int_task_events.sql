-- Every task-scoped event, one row per message, in one shape: the raw material of the task
-- lifecycle. `lifecycle_rank` orders events that share a timestamp in the order TaskRouter
-- emits them. Columns an event lacks are filled with null by `union all by name`.
-- Incremental: each build adds the messages loaded since the last one (the loader keeps the
-- first copy of a message; a row recomputed for the same id replaces its row), so the marts
-- can find the tasks that changed without reading history.
{{ config(materialized='incremental', unique_key='message_id', incremental_strategy='delete+insert', on_schema_change='append_new_columns') }}

with task_created as (
    select
        message_id,
        task_id,
        'task.created' as event_name,
        1 as lifecycle_rank,
        coalesce(created_at, occurred_at) as occurred_at,
        received_at,
        loaded_at,
        channel,
        task_type,
        queue,
        campaign_id,
        contact_phone,
        direction
    from {{ ref('stg_regal_voice__task_created') }}
    where {{ new_rows_only() }}
),

reservation_created as (
    select
        message_id,
        task_id,
        'task.reservation.created' as event_name,
        2 as lifecycle_rank,
        occurred_at,
        received_at,
        loaded_at,
        reserved_agent_email as agent_email,
        channel,
        task_type,
        queue,
        campaign_id,
        contact_phone
    from {{ ref('stg_regal_voice__task_reservation_created') }}
    where {{ new_rows_only() }}
),

reservation_accepted as (
    select
        message_id,
        task_id,
        'task.reservation.accepted' as event_name,
        3 as lifecycle_rank,
        occurred_at,
        received_at,
        loaded_at,
        coalesce(agent_email, reserved_agent_email) as agent_email,
        channel,
        task_type,
        queue,
        campaign_id,
        contact_phone
    from {{ ref('stg_regal_voice__task_reservation_accepted') }}
    where {{ new_rows_only() }}
),

task_canceled as (
    select
        message_id,
        task_id,
        'task.canceled' as event_name,
        7 as lifecycle_rank,
        occurred_at,
        received_at,
        loaded_at,
        channel,
        task_type,
        queue,
        campaign_id,
        contact_phone,
        cancelation_reason,
        cancelation_source,
        canceled_by
    from {{ ref('stg_regal_voice__task_canceled') }}
    where {{ new_rows_only() }}
),

call_placed as (
    select
        message_id,
        coalesce(task_id, call_id) as task_id,
        'call.placed' as event_name,
        4 as lifecycle_rank,
        occurred_at,
        received_at,
        loaded_at,
        coalesce(channel, 'voice') as channel,
        task_type,
        queue,
        campaign_id,
        contact_phone
    from {{ ref('stg_regal_voice__call_placed') }}
    where {{ new_rows_only() }}
),

call_wrapup as (
    select
        message_id,
        coalesce(task_id, call_id) as task_id,
        'call.wrapup' as event_name,
        6 as lifecycle_rank,
        occurred_at,
        received_at,
        loaded_at,
        coalesce(channel, 'voice') as channel,
        task_type,
        queue,
        campaign_id,
        contact_phone
    from {{ ref('stg_regal_voice__call_wrapup') }}
    where {{ new_rows_only() }}
),

call_completed as (
    select
        message_id,
        coalesce(task_id, call_id) as task_id,
        'call.completed' as event_name,
        7 as lifecycle_rank,
        coalesce(completed_at, occurred_at) as occurred_at,
        received_at,
        loaded_at,
        agent_email,
        coalesce(channel, 'voice') as channel,
        task_type,
        queue,
        campaign_id,
        contact_phone,
        direction
    from {{ ref('stg_regal_voice__call_completed') }}
    where {{ new_rows_only() }}
),

call_recording as (
    select
        message_id,
        task_id,
        'call.recording.available' as event_name,
        8 as lifecycle_rank,
        occurred_at,
        received_at,
        loaded_at,
        'voice' as channel
    from {{ ref('stg_regal_voice__call_recording_available') }}
    where {{ new_rows_only() }}
),

sms_messages as (
    {%- for event in ['queued', 'sent', 'received', 'undelivered'] %}
        select
            message_id,
            sms_conversation_id as task_id,
            'sms.{{ event }}' as event_name,
            5 as lifecycle_rank,
            occurred_at,
            received_at,
            loaded_at,
            agent_email,
            'sms' as channel,
            campaign_id
        from {{ ref('stg_regal_voice__sms_' ~ event) }}
        where sms_conversation_id is not null and {{ new_rows_only() }}
        {{ "union all" if not loop.last }}
    {%- endfor %}
),

sms_completed as (
    select
        message_id,
        coalesce(task_id, sms_conversation_id) as task_id,
        'sms.conversation.completed' as event_name,
        7 as lifecycle_rank,
        coalesce(completed_at, occurred_at) as occurred_at,
        received_at,
        loaded_at,
        agent_email,
        coalesce(channel, 'sms') as channel,
        task_type,
        queue,
        campaign_id,
        contact_phone
    from {{ ref('stg_regal_voice__sms_conversation_completed') }}
    where {{ new_rows_only() }}
),

unioned as (
    select * from task_created
    union all by name
    select * from reservation_created
    union all by name
    select * from reservation_accepted
    union all by name
    select * from task_canceled
    union all by name
    select * from call_placed
    union all by name
    select * from call_wrapup
    union all by name
    select * from call_completed
    union all by name
    select * from call_recording
    union all by name
    select * from sms_messages
    union all by name
    select * from sms_completed
)

select * from unioned
where task_id is not null
