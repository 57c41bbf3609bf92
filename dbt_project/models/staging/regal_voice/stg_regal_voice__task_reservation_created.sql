{#- Regal spells the reserved agent's name `reserved_agent_full_name` (the catalog) and
    `reserved_agent_fullname` (as in `scheduling_agent_fullname`): either is staged as the
    first. -#}
with source as (
    {{ typed_source('regal_voice', 'task_reservation_created', regal_task_columns(
        reserved_agent_email='varchar',
        reserved_agent_full_name='varchar',
        reserved_agent_fullname='varchar',
    )) }}
),

renamed as (
    select
        {{ staged_envelope() }},
        {{ staged_task_fields() }},
        lower(reserved_agent_email) as reserved_agent_email,
        coalesce(reserved_agent_full_name, reserved_agent_fullname) as reserved_agent_full_name
    from source
)

select * from renamed
