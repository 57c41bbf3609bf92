with source as (
    {{ typed_source('regal_voice', 'agent_activity_updated', {
        'agent_email': 'varchar',
        'agent_activity_name': 'varchar',
        'agent_availability': 'boolean',
        'agent_previous_activity_name': 'varchar',
        'agent_previous_availability': 'boolean',
        'agent_time_in_previous_activity': 'varchar',
    }) }}
),

renamed as (
    select
        {{ staged_envelope() }},
        lower(agent_email) as agent_email,
        agent_activity_name as activity_name,
        agent_availability as is_available,
        agent_previous_activity_name as previous_activity_name,
        agent_previous_availability as was_available,
        {{ reported_seconds('agent_time_in_previous_activity') }} as reported_previous_activity_s
    from source
)

select * from renamed
