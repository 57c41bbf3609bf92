-- Incremental: every conversation with a new report or message is recomputed.
{{ config(unique_key='sms_conversation_id') }}

with conversations as (
    select * from {{ ref('int_sms_conversation_reports') }}
    where {{ touched_only('sms_conversation_id', 'int_changed_sms_conversations') }}
),

sms_messages as (
    select
        task_id as sms_conversation_id,
        event_name
    from {{ ref('int_task_events') }}
    where
        event_name in ('sms.queued', 'sms.sent', 'sms.received', 'sms.undelivered')
        and {{ touched_only('task_id', 'int_changed_sms_conversations', 'sms_conversation_id') }}
),

message_counts as (
    select
        sms_conversation_id,
        count(*) filter (where event_name = 'sms.queued') as messages_queued,
        count(*) filter (where event_name = 'sms.sent') as messages_sent,
        count(*) filter (where event_name = 'sms.received') as messages_received,
        count(*) filter (where event_name = 'sms.undelivered') as messages_undelivered
    from sms_messages
    group by 1
),

conversation_ids as (
    select sms_conversation_id from conversations
    union
    select sms_conversation_id from message_counts
),

final as (
    select
        conversation_ids.sms_conversation_id,
        coalesce(conversations.task_id, conversation_ids.sms_conversation_id) as task_id,
        conversations.agent_email,
        conversations.contact_phone,
        conversations.queue,
        conversations.campaign_id,
        conversations.campaign_name,
        conversations.disposition,
        conversations.message_id is not null as is_completed,
        conversations.started_at,
        conversations.ended_at,
        conversations.completed_at,
        conversations.talk_time_s,
        conversations.wrap_time_s,
        conversations.handle_time_s,
        conversations.reported_talk_time_s,
        conversations.reported_wrap_time_s,
        conversations.reported_handle_time_s,
        conversations.durations_match_reported,
        coalesce(message_counts.messages_queued, 0) as messages_queued,
        coalesce(message_counts.messages_sent, 0) as messages_sent,
        coalesce(message_counts.messages_received, 0) as messages_received,
        coalesce(message_counts.messages_undelivered, 0) as messages_undelivered,
        conversations.message_id,
        {{ build_time() }} as refreshed_at
    from conversation_ids
    left join conversations
        on conversation_ids.sms_conversation_id = conversations.sms_conversation_id
    left join message_counts
        on conversation_ids.sms_conversation_id = message_counts.sms_conversation_id
)

select * from final
