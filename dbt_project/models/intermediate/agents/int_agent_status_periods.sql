-- One row per agent status period: from one agent.activity.updated to the agent's next.
-- fct_agent_activity publishes it; int_agent_activity_by_day cuts it at reporting midnights.
-- Incremental: for each agent with new updates, the periods from the one before the earliest
-- new update onward are recomputed (a late update splits the period it falls into).
{{ config(materialized='incremental', unique_key='agent_activity_id') }}

with activity_updates as (
    select * from {{ ref('stg_regal_voice__agent_activity_updated') }}
    where agent_email is not null
),

earliest_new_updates as (
    select
        agent_email,
        min(occurred_at) as earliest_new_at
    from activity_updates
    where {{ new_rows_only() }}
    group by agent_email
),

recomputed_from as (
    -- The start of the period the earliest new update falls into (or the update itself);
    -- in a full build, each agent's first update.
    select
        earliest_new_updates.agent_email,
        coalesce(
            max(activity_updates.occurred_at) filter (
                where activity_updates.occurred_at < earliest_new_updates.earliest_new_at
            ),
            earliest_new_updates.earliest_new_at
        ) as recomputed_from
    from earliest_new_updates
    inner join activity_updates on earliest_new_updates.agent_email = activity_updates.agent_email
    group by earliest_new_updates.agent_email, earliest_new_updates.earliest_new_at
),

updates_to_recompute as (
    select activity_updates.*
    from activity_updates
    inner join recomputed_from
        on
            activity_updates.agent_email = recomputed_from.agent_email
            and activity_updates.occurred_at >= recomputed_from.recomputed_from
),

periods as (
    select
        message_id as agent_activity_id,
        agent_email,
        activity_name,
        is_available,
        occurred_at as started_at,
        lead(occurred_at) over (
            partition by agent_email order by occurred_at, received_at, message_id
        ) as ended_at
    from updates_to_recompute
),

final as (
    select
        agent_activity_id,
        agent_email,
        activity_name,
        is_available,
        started_at,
        ended_at,
        {{ seconds_between('started_at', 'ended_at') }} as duration_s,
        ended_at is null as is_current,
        {{ build_time() }} as refreshed_at
    from periods
)

select * from final
