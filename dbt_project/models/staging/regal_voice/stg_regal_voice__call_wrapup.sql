-- `call.wrapup`: the conversation ended and the agent entered wrap-up. The call and its task share one
-- id, sent as `call_id`, `task_id` or both: settled here, once.
with source as (
    {{ typed_source('regal_voice', 'call_wrapup', regal_task_columns(call_id='varchar')) }}
),

renamed as (
    select
        {{ staged_envelope() }},
        {{ staged_task_fields(task_id='coalesce(task_id, call_id)') }},
        coalesce(call_id, task_id) as call_id
    from source
)

select * from renamed
