-- Incremental: the whole lifecycle of every task with a new event is recomputed.
{{ config(unique_key='task_id') }}

with task_events as (
    select * from {{ ref('int_task_events') }}
    where {{ touched_only('task_id', 'int_changed_tasks') }}
),

cancellations as (
    select
        task_id,
        {{ first_by('cancelation_reason', 'occurred_at') }} as cancelation_reason,
        {{ first_by('cancelation_source', 'occurred_at') }} as cancelation_source,
        {{ first_by('canceled_by', 'occurred_at') }} as canceled_by
    from task_events
    where event_name = 'task.canceled'
    group by 1
),

handle_times as (
    select
        task_id,
        handle_time_s
    from {{ ref('int_handled_tasks') }}
    where {{ touched_only('task_id', 'int_changed_tasks') }}
),

lifecycle as (
    -- Attributes come from the earliest event that carries them: any event can be missing.
    select
        task_id,
        coalesce(
            {{ first_by('channel', 'occurred_at', "channel is not null") }},
            case when bool_or(event_name like 'call.%') then 'voice' end,
            case when bool_or(event_name like 'sms.%') then 'sms' end
        ) as channel,
        {{ first_by('task_type', 'occurred_at', "task_type is not null") }} as task_type,
        {{ first_by('queue', 'occurred_at', "queue is not null") }} as queue,
        {{ first_by('campaign_id', 'occurred_at', "campaign_id is not null") }} as campaign_id,
        {{ first_by('contact_phone', 'occurred_at', "contact_phone is not null") }} as contact_phone,
        {{ first_by('direction', 'occurred_at', "direction is not null") }} as direction,
        min(occurred_at) filter (where event_name = 'task.created') as created_at,
        min(occurred_at) as first_event_at,
        min(occurred_at) filter (where event_name = 'task.reservation.created') as first_reserved_at,
        count(*) filter (where event_name = 'task.reservation.created') as reservation_count,
        min(occurred_at) filter (where event_name = 'task.reservation.accepted') as accepted_at,
        -- The accepted event names the agent (`agent_email` or `reserved_agent_email`, settled
        -- in int_task_events); when it names nobody or never arrived, the completing call or
        -- SMS conversation does.
        coalesce(
            {{ first_by(
                'agent_email',
                'occurred_at',
                "event_name = 'task.reservation.accepted' and agent_email is not null",
            ) }},
            {{ first_by(
                'agent_email',
                'occurred_at',
                "event_name in ('call.completed', 'sms.conversation.completed')"
                ~ " and agent_email is not null",
            ) }}
        ) as accepted_agent_email,
        min(occurred_at) filter (
            where event_name in ('call.completed', 'sms.conversation.completed')
        ) as completed_at,
        min(occurred_at) filter (where event_name = 'task.canceled') as canceled_at
    from task_events
    group by 1
),

final as (
    select
        lifecycle.task_id,
        lifecycle.channel,
        lifecycle.task_type,
        lifecycle.queue,
        lifecycle.campaign_id,
        lifecycle.contact_phone,
        lifecycle.direction,
        lifecycle.created_at,
        lifecycle.created_at is not null as has_created_event,
        lifecycle.first_event_at,
        lifecycle.first_reserved_at,
        lifecycle.reservation_count,
        lifecycle.accepted_at,
        lifecycle.accepted_agent_email,
        case
            when lifecycle.completed_at is not null then 'completed'
            when lifecycle.canceled_at is not null then 'canceled'
            else 'open'
        end as final_status,
        coalesce(lifecycle.completed_at, lifecycle.canceled_at) as closed_at,
        cancellations.cancelation_reason,
        cancellations.cancelation_source,
        cancellations.canceled_by,
        {{ seconds_between('lifecycle.created_at', 'lifecycle.first_reserved_at') }}
            as time_to_first_reservation_s,
        {{ seconds_between('lifecycle.created_at', 'lifecycle.accepted_at') }} as time_to_accept_s,
        handle_times.handle_time_s,
        {{ seconds_between(
            'lifecycle.created_at',
            'coalesce(lifecycle.completed_at, lifecycle.canceled_at)'
        ) }} as lifecycle_s,
        {{ build_time() }} as refreshed_at
    from lifecycle
    left join cancellations on lifecycle.task_id = cancellations.task_id
    left join handle_times on lifecycle.task_id = handle_times.task_id
)

select * from final
