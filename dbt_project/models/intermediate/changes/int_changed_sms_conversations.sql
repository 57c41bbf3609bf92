-- SMS conversations with a completion report or a message loaded since the last complete build.
with changed as (
    select sms_conversation_id
    from {{ ref('stg_regal_voice__sms_conversation_completed') }}
    where {{ loaded_since_last_build() }}
    union
    select task_id as sms_conversation_id
    from {{ ref('int_task_events') }}
    where event_name like 'sms.%' and {{ loaded_since_last_build() }}
)

select sms_conversation_id from changed
where sms_conversation_id is not null
