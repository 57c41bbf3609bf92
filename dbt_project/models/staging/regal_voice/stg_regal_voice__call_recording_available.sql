-- `call.recording.available`: the recording link of an answered call (its id as `call_id`,
-- `task_id` or both).
with source as (
    {{ typed_source('regal_voice', 'call_recording_available', {
        'call_id': 'varchar',
        'task_id': 'varchar',
        'recording_link': 'varchar',
    }) }}
),

renamed as (
    select
        {{ staged_envelope() }},
        coalesce(task_id, call_id) as task_id,
        coalesce(call_id, task_id) as call_id,
        recording_link
    from source
)

select * from renamed
