-- Every task-scoped event, one row per message, in one shape: the raw material of the task
-- lifecycle. `lifecycle_rank` orders events that share a timestamp in the order TaskRouter
-- emits them (`task_lifecycle_ranks()`, the one place the ranks are named). Columns an event
-- lacks are typed nulls (`task_event()`), so the events union by position on every engine.
-- Incremental: each build adds the messages loaded since the last one (the loader keeps the
-- first copy of a message; a row recomputed for the same id replaces its row), so the marts
-- can find the tasks that changed without reading history.
{{ config(materialized='incremental', unique_key='message_id') }}


with task_created as (
    select
        {{- task_event('task.created', dict(task_id='task_id',
            occurred_at='coalesce(created_at, occurred_at)', direction='direction')) }}
    from {{ ref('stg_regal_voice__task_created') }}
    where {{ new_rows_only() }}
),

reservation_created as (
    select
        {{- task_event('task.reservation.created', dict(task_id='task_id',
            agent_email='reserved_agent_email')) }}
    from {{ ref('stg_regal_voice__task_reservation_created') }}
    where {{ new_rows_only() }}
),

reservation_accepted as (
    select
        {{- task_event('task.reservation.accepted', dict(task_id='task_id',
            agent_email='coalesce(agent_email, reserved_agent_email)')) }}
    from {{ ref('stg_regal_voice__task_reservation_accepted') }}
    where {{ new_rows_only() }}
),

task_canceled as (
    select
        {{- task_event('task.canceled', dict(task_id='task_id',
            cancelation_reason='cancelation_reason', cancelation_source='cancelation_source',
            canceled_by='canceled_by')) }}
    from {{ ref('stg_regal_voice__task_canceled') }}
    where {{ new_rows_only() }}
),

call_placed as (
    select
        {{- task_event('call.placed', dict(task_id='task_id',
            channel="coalesce(channel, 'voice')")) }}
    from {{ ref('stg_regal_voice__call_placed') }}
    where {{ new_rows_only() }}
),

call_wrapup as (
    select
        {{- task_event('call.wrapup', dict(task_id='task_id',
            channel="coalesce(channel, 'voice')")) }}
    from {{ ref('stg_regal_voice__call_wrapup') }}
    where {{ new_rows_only() }}
),

call_completed as (
    select
        {{- task_event('call.completed', dict(task_id='task_id',
            occurred_at='coalesce(completed_at, occurred_at)', agent_email='agent_email',
            channel="coalesce(channel, 'voice')", direction='direction')) }}
    from {{ ref('stg_regal_voice__call_completed') }}
    where {{ new_rows_only() }}
),

call_recording as (
    select
        {{- task_event('call.recording.available', dict(task_id='task_id',
            channel="'voice'"), task_fields=false) }}
    from {{ ref('stg_regal_voice__call_recording_available') }}
    where {{ new_rows_only() }}
),

sms_messages as (
    {%- for event in ['queued', 'sent', 'received', 'undelivered'] %}
        select
            {{- task_event('sms.' ~ event, dict(task_id='sms_conversation_id',
                agent_email='agent_email', channel="'sms'", campaign_id='campaign_id'),
                task_fields=false) }}
        from {{ ref('stg_regal_voice__sms_' ~ event) }}
        where sms_conversation_id is not null and {{ new_rows_only() }}
        {{ "union all" if not loop.last }}
    {%- endfor %}
),

sms_completed as (
    select
        {{- task_event('sms.conversation.completed', dict(
            task_id='task_id',
            occurred_at='coalesce(completed_at, occurred_at)', agent_email='agent_email',
            channel="coalesce(channel, 'sms')")) }}
    from {{ ref('stg_regal_voice__sms_conversation_completed') }}
    where {{ new_rows_only() }}
),

unioned as (
    select * from task_created
    union all
    select * from reservation_created
    union all
    select * from reservation_accepted
    union all
    select * from task_canceled
    union all
    select * from call_placed
    union all
    select * from call_wrapup
    union all
    select * from call_completed
    union all
    select * from call_recording
    union all
    select * from sms_messages
    union all
    select * from sms_completed
)

select * from unioned
where task_id is not null
