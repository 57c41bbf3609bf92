-- Calls and SMS conversations completed by an agent, in one shape: the one place the two
-- channels are put together, for fct_tasks' handle time and the daily KPIs.
select
    task_id,
    call_id as handled_id,
    'voice' as channel,
    agent_email,
    queue,
    completed_at,
    talk_time_s,
    wrap_time_s,
    handle_time_s
from {{ ref('int_call_reports') }}
union all
select
    task_id,
    sms_conversation_id as handled_id,
    'sms' as channel,
    agent_email,
    queue,
    completed_at,
    talk_time_s,
    wrap_time_s,
    handle_time_s
from {{ ref('int_sms_conversation_reports') }}
