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
        {{ staged_completion_times() }}
    from source
)

select * from renamed
