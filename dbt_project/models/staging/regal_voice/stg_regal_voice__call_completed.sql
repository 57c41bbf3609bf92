with source as (
    {{ typed_source('regal_voice', 'call_completed', regal_task_columns(
        call_id='varchar',
        agent_email='varchar',
        direction='varchar',
        disposition='varchar',
        notes='varchar',
        objections='varchar',
        conversation_happened='boolean',
        started_at='varchar',
        ended_at='varchar',
        completed_at='varchar',
        talk_time='varchar',
        wrapup_time='varchar',
        handle_time='varchar',
        regal_voice_phone='varchar',
    )) }}
),

renamed as (
    select
        {{ staged_envelope() }},
        {{ staged_task_fields() }},
        call_id,
        lower(agent_email) as agent_email,
        upper(direction) as direction,
        disposition,
        notes,
        objections,
        conversation_happened,
        {{ phone_e164('regal_voice_phone') }} as regal_voice_phone,
        {{ epoch_to_timestamp('started_at') }} as started_at,
        {{ epoch_to_timestamp('ended_at') }} as ended_at,
        {{ epoch_to_timestamp('completed_at') }} as completed_at,
        {{ reported_seconds('talk_time') }} as reported_talk_time_s,
        {{ reported_seconds('wrapup_time') }} as reported_wrap_time_s,
        {{ reported_seconds('handle_time') }} as reported_handle_time_s
    from source
)

select * from renamed
