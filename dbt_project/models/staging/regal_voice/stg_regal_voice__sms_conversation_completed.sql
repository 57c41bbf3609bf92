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
        {{ epoch_to_timestamp('started_at') }} as started_at,
        {{ epoch_to_timestamp('ended_at') }} as ended_at,
        {{ epoch_to_timestamp('completed_at') }} as completed_at,
        {{ reported_seconds('talk_time') }} as reported_talk_time_s,
        {{ reported_seconds('wrapup_time') }} as reported_wrap_time_s,
        {{ reported_seconds('handle_time') }} as reported_handle_time_s
    from source
)

select * from renamed
