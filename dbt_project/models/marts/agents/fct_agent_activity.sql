-- One row per agent status period (int_agent_status_periods).
-- Incremental: the periods recomputed in this build are published again.
{{ config(unique_key='agent_activity_id') }}

select
    agent_activity_id,
    agent_email,
    activity_name,
    is_available,
    started_at,
    ended_at,
    duration_s,
    is_current,
    refreshed_at
from {{ ref('int_agent_status_periods') }}
where {{ refreshed_by_this_build_only() }}
