-- Calls and SMS conversations completed by an agent, in one shape for the daily KPIs.
select
    call_id as task_id,
    'voice' as channel,
    agent_email,
    queue,
    completed_at,
    talk_time_s,
    wrap_time_s,
    handle_time_s
from {{ ref('fct_calls') }}
union all
select
    sms_conversation_id as task_id,
    'sms' as channel,
    agent_email,
    queue,
    completed_at,
    talk_time_s,
    wrap_time_s,
    handle_time_s
from {{ ref('fct_sms_conversations') }}
where is_completed
