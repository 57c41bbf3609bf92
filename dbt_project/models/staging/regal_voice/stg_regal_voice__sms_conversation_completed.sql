-- `sms.conversation.completed`: an agent completed a two-way SMS conversation task. The
-- conversation and its task share one id, sent as `sms_conversation_id`, `task_id` or both:
-- settled here, once.
with source as (
    {{ typed_source('regal_voice', 'sms_conversation_completed', regal_task_columns(
        sms_conversation_id='varchar',
        agent_email='varchar',
        disposition='varchar',
        content='varchar',
        started_at='varchar',
        ended_at='varchar',
        completed_at='varchar',
        talk_time='varchar',
        wrapup_time='varchar',
        handle_time='varchar',
    )) }}
),

renamed as (
    select
        {{ staged_envelope() }},
        {{ staged_task_fields(task_id='coalesce(task_id, sms_conversation_id)') }},
        coalesce(sms_conversation_id, task_id) as sms_conversation_id,
        lower(agent_email) as agent_email,
        disposition,
        content as transcript,
        {{ staged_completion_times() }}
    from source
)

select * from renamed
