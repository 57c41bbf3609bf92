-- Per agent and reporting day: work handled, speed of answer, occupancy, and the reservations
-- offered to the agent (by the day of the reservation) and accepted.
-- Incremental: every day a changed task or status period falls on is recomputed whole.
{{ config(
    unique_key=['activity_date', 'agent_email'],
    pre_hook="{{ delete_touched('activity_date', 'int_changed_days') }}",
) }}

with handled as (
    select
        {{ reporting_date('completed_at') }} as activity_date,
        agent_email,
        count(*) filter (where channel = 'voice') as calls_handled,
        count(*) filter (where channel = 'sms') as sms_conversations_handled,
        {{ mean('talk_time_s', "channel = 'voice'") }} as avg_talk_time_s,
        {{ mean('wrap_time_s', "channel = 'voice'") }} as avg_wrap_time_s,
        {{ mean('handle_time_s', "channel = 'voice'") }} as avg_handle_time_s,
        {{ mean('handle_time_s', "channel = 'sms'") }} as avg_sms_handle_time_s,
        cast(coalesce(sum(handle_time_s), 0) as bigint) as busy_s
    from {{ ref('int_handled_tasks') }}
    where
        agent_email is not null
        and completed_at is not null
        and {{ touched_only(reporting_date('completed_at'), 'int_changed_days', 'activity_date') }}
    group by 1, 2
),

accepted as (
    select
        {{ reporting_date('accepted_at') }} as activity_date,
        accepted_agent_email as agent_email,
        count(*) as tasks_accepted,
        {{ mean('time_to_accept_s') }} as avg_speed_of_answer_s
    from {{ ref('fct_tasks') }}
    where
        accepted_agent_email is not null
        -- a task whose accepted event never arrived has an agent (from its completion) but
        -- no moment of acceptance: it counts on no day
        and accepted_at is not null
        and {{ touched_only(reporting_date('accepted_at'), 'int_changed_days', 'activity_date') }}
    group by 1, 2
),

-- Each reservation offers a task to one agent; the agent accepted it when a
-- `task.reservation.accepted` of that task names the agent after it and before the task's next
-- reservation to the same agent. Every reservation of a task with one on a touched day is read,
-- so the next one is known.
reservations as (
    select
        task_id,
        agent_email,
        occurred_at as reserved_at,
        lead(occurred_at) over (
            partition by task_id, agent_email order by occurred_at, message_id
        ) as next_reserved_at
    from {{ ref('int_task_events') }}
    where
        event_name = 'task.reservation.created'
        and agent_email is not null
        -- The tasks offered on a recomputed day (every task in a full build).
        and task_id in (
            select offered.task_id from {{ ref('int_task_events') }} as offered
            where
                offered.event_name = 'task.reservation.created'
                and {{ touched_only(reporting_date('offered.occurred_at'), 'int_changed_days', 'activity_date') }}
        )
),

reservation_outcomes as (
    select
        reservations.task_id,
        reservations.agent_email,
        reservations.reserved_at,
        min(acceptances.occurred_at) as accepted_at
    from reservations
    left join {{ ref('int_task_events') }} as acceptances
        on
            reservations.task_id = acceptances.task_id
            and reservations.agent_email = acceptances.agent_email
            and reservations.reserved_at <= acceptances.occurred_at
            and acceptances.event_name = 'task.reservation.accepted'
            and (
                reservations.next_reserved_at is null
                or reservations.next_reserved_at > acceptances.occurred_at
            )
    group by 1, 2, 3
),

offered as (
    select
        {{ reporting_date('reserved_at') }} as activity_date,
        agent_email,
        count(*) as reservations_offered,
        count(accepted_at) as reservations_accepted,
        {{ mean(seconds_between('reserved_at', 'accepted_at')) }} as avg_time_to_accept_s
    from reservation_outcomes
    where {{ touched_only(reporting_date('reserved_at'), 'int_changed_days', 'activity_date') }}
    group by 1, 2
),

activity as (
    select
        activity_date,
        agent_email,
        cast(sum(duration_s) filter (where is_available) as bigint) as available_s,
        cast(sum(duration_s) filter (where not is_available) as bigint) as unavailable_s
    from {{ ref('int_agent_activity_by_day') }}
    where {{ touched_only('activity_date', 'int_changed_days') }}
    group by 1, 2
),

agent_days as (
    select
        activity_date,
        agent_email
    from handled
    union
    select
        activity_date,
        agent_email
    from accepted
    union
    select
        activity_date,
        agent_email
    from activity
    union
    select
        activity_date,
        agent_email
    from offered
),

final as (
    select
        agent_days.activity_date,
        agent_days.agent_email,
        coalesce(handled.calls_handled, 0) as calls_handled,
        coalesce(handled.sms_conversations_handled, 0) as sms_conversations_handled,
        handled.avg_talk_time_s,
        handled.avg_wrap_time_s,
        handled.avg_handle_time_s,
        handled.avg_sms_handle_time_s,
        coalesce(accepted.tasks_accepted, 0) as tasks_accepted,
        accepted.avg_speed_of_answer_s,
        coalesce(activity.available_s, 0) as available_s,
        coalesce(activity.unavailable_s, 0) as unavailable_s,
        coalesce(handled.busy_s, 0) as busy_s,
        greatest(coalesce(activity.available_s, 0) - coalesce(handled.busy_s, 0), 0) as idle_s,
        {{ ratio(
            'coalesce(handled.busy_s, 0)',
            'coalesce(handled.busy_s, 0)'
            ~ ' + greatest(coalesce(activity.available_s, 0) - coalesce(handled.busy_s, 0), 0)',
        ) }} as occupancy,
        coalesce(offered.reservations_offered, 0) as reservations_offered,
        coalesce(offered.reservations_accepted, 0) as reservations_accepted,
        {{ ratio('offered.reservations_accepted', 'offered.reservations_offered') }}
            as reservation_acceptance_rate,
        offered.avg_time_to_accept_s,
        {{ build_time() }} as refreshed_at
    from agent_days
    left join handled
        on agent_days.activity_date = handled.activity_date
            and agent_days.agent_email = handled.agent_email
    left join accepted
        on agent_days.activity_date = accepted.activity_date
            and agent_days.agent_email = accepted.agent_email
    left join activity
        on agent_days.activity_date = activity.activity_date
            and agent_days.agent_email = activity.agent_email
    left join offered
        on agent_days.activity_date = offered.activity_date
            and agent_days.agent_email = offered.agent_email
)

select * from final
