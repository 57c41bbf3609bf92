-- `task.canceled`: a task ended without being completed (expired, canceled by a person or by
-- Regal), with why, where and by whom.
with source as (
    {{ typed_source('regal_voice', 'task_canceled', regal_task_columns(
        cancelation_reason='varchar',
        cancelation_source='varchar',
        canceled_by='varchar',
    )) }}
),

renamed as (
    select
        {{ staged_envelope() }},
        {{ staged_task_fields() }},
        cancelation_reason,
        cancelation_source,
        canceled_by
    from source
)

select * from renamed
