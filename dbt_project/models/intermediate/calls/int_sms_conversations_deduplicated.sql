-- One sms.conversation.completed per conversation, the latest report winning.
with completed as (
    select
        *,
        coalesce(sms_conversation_id, task_id) as resolved_conversation_id
    from {{ ref('stg_regal_voice__sms_conversation_completed') }}
)

select
    * exclude (sms_conversation_id, resolved_conversation_id),
    resolved_conversation_id as sms_conversation_id
from completed
where resolved_conversation_id is not null
qualify row_number() over (
    partition by resolved_conversation_id order by received_at desc, message_id
) = 1
