-- `task.reservation.accepted`: an agent accepted a task offered to them. Regal's catalog names
-- the agent `reserved_agent_email` (the agent the reservation is for); other payloads send
-- `agent_email`. Both are staged; the task event log takes either.
with source as (
    {{ typed_source('regal_voice', 'task_reservation_accepted', regal_task_columns(
        agent_email='varchar',
        reserved_agent_email='varchar',
    )) }}
),

renamed as (
    select
        {{ staged_envelope() }},
        {{ staged_task_fields() }},
        lower(agent_email) as agent_email,
        lower(reserved_agent_email) as reserved_agent_email
    from source
)

select * from renamed
