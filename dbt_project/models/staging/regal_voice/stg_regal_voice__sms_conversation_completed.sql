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
        {{ staged_task_fields() }},
        sms_conversation_id,
        lower(agent_email) as agent_email,
        disposition,
        content as transcript,
        {{ staged_completion_times() }}
    from source
)

select * from renamed
