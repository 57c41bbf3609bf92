-- One call.completed per call: a call completed twice under different message ids (a
-- re-sent webhook) keeps its latest report.
with completed as (
    select
        *,
        coalesce(call_id, task_id) as resolved_call_id
    from {{ ref('stg_regal_voice__call_completed') }}
)

select * exclude (call_id, resolved_call_id), resolved_call_id as call_id
from completed
where resolved_call_id is not null
qualify row_number() over (partition by resolved_call_id order by received_at desc, message_id) = 1
