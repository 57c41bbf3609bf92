-- One row per SMS conversation with a completion report (`sms.conversation.completed`), the
-- latest report winning, with talk, wrap and handle times derived from its own timestamps.
-- fct_sms_conversations publishes it with the message counts; int_handled_tasks puts it beside
-- the calls for fct_tasks and the daily KPIs.
-- Incremental: every conversation with a new report or message is recomputed.
{{ config(materialized='incremental', unique_key='sms_conversation_id') }}

with reports as (
    select * from {{ ref('stg_regal_voice__sms_conversation_completed') }}
    where {{ touched_only('sms_conversation_id', 'int_changed_sms_conversations') }}
),

-- A conversation reported twice (a re-sent webhook): the latest report wins.
conversations as (
    {{ first_row_per(
        'reports',
        'sms_conversation_id',
        'received_at desc, message_id asc',
        condition='sms_conversation_id is not null',
    ) }}
),

final as (
    select
        sms_conversation_id,
        task_id,
        agent_email,
        contact_phone,
        queue,
        campaign_id,
        campaign_name,
        disposition,
        started_at,
        ended_at,
        completed_at,
        {{ handle_time_columns() }},
        message_id,
        {{ build_time() }} as refreshed_at
    from conversations
)

select * from final
