-- `scheduled.callback.requested`: an agent promised a contact a call at a time.
with source as (
    {{ typed_source('regal_voice', 'scheduled_callback_requested', {
        'contact_phone': 'varchar',
        'phone': 'varchar',
        'callback_timestamp': 'varchar',
        'scheduling_agent_email': 'varchar',
        'scheduling_agent_id': 'varchar',
        'scheduling_agent_fullname': 'varchar',
        'target_agent_id': 'varchar',
        'target_agent_fullname': 'varchar',
    }) }}
),

renamed as (
    select
        {{ staged_envelope() }},
        {{ contact_phone() }} as contact_phone,
        -- The catalog describes both properties as the scheduling agent's email.
        lower(coalesce(scheduling_agent_email, scheduling_agent_id)) as scheduling_agent_email,
        scheduling_agent_fullname as scheduling_agent_full_name,
        lower(target_agent_id) as target_agent_email,
        target_agent_fullname as target_agent_full_name,
        callback_timestamp as callback_local_time,
        {{ local_time_to_timestamp('callback_timestamp') }} as callback_at
    from source
)

select * from renamed
