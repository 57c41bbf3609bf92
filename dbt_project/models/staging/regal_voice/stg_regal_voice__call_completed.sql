-- `call.completed`: a call task was completed, answered or not. The call and its task share
-- one id, sent as `call_id`, `task_id` or both: settled here, once.
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
        {{ staged_task_fields(task_id='coalesce(task_id, call_id)') }},
        coalesce(call_id, task_id) as call_id,
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
