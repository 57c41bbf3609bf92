-- One row per agent status period: from one agent.activity.updated to the agent's next.
with activity_updates as (
    select * from {{ ref('stg_regal_voice__agent_activity_updated') }}
    where agent_email is not null
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
    from activity_updates
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
        ended_at is null as is_current
    from periods
)

select * from final
