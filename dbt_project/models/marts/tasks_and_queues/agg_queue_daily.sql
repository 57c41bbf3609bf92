-- Per queue and reporting day: tasks by the day they entered the queue, work by the day it
-- was completed.
-- Incremental: every day a changed task or status period falls on is recomputed whole.
{{ config(
    unique_key=['activity_date', 'queue'],
    pre_hook="{{ delete_touched('activity_date', 'int_changed_days') }}",
) }}

with tasks as (
    select
        *,
        {{ reporting_date('coalesce(created_at, first_event_at)') }} as queue_date
    from {{ ref('fct_tasks') }}
    where {{ touched_only(reporting_date('coalesce(created_at, first_event_at)'), 'int_changed_days', 'activity_date') }}
),

task_outcomes as (
    select
        queue_date as activity_date,
        coalesce(queue, '(none)') as queue,
        {{ queue_task_outcomes() }}
    from tasks
    group by 1, 2
),

handled as (
    select
        {{ reporting_date('completed_at') }} as activity_date,
        coalesce(queue, '(none)') as queue,
        count(*) filter (where channel = 'voice') as calls_handled,
        count(*) filter (where channel = 'sms') as sms_conversations_handled,
        {{ mean('talk_time_s', "channel = 'voice'") }} as avg_talk_time_s,
        {{ mean('wrap_time_s', "channel = 'voice'") }} as avg_wrap_time_s,
        {{ mean('handle_time_s', "channel = 'voice'") }} as avg_handle_time_s,
        {{ mean('handle_time_s', "channel = 'sms'") }} as avg_sms_handle_time_s
    from {{ ref('int_handled_tasks') }}
    where
        completed_at is not null
        and {{ touched_only(reporting_date('completed_at'), 'int_changed_days', 'activity_date') }}
    group by 1, 2
),

queue_days as (
    select
        activity_date,
        queue
    from task_outcomes
    union
    select
        activity_date,
        queue
    from handled
),

final as (
    select
        queue_days.activity_date,
        queue_days.queue,
        coalesce(task_outcomes.tasks_created, 0) as tasks_created,
        coalesce(task_outcomes.tasks_completed, 0) as tasks_completed,
        coalesce(task_outcomes.tasks_canceled, 0) as tasks_canceled,
        coalesce(task_outcomes.tasks_open, 0) as tasks_open,
        coalesce(handled.calls_handled, 0) as calls_handled,
        coalesce(handled.sms_conversations_handled, 0) as sms_conversations_handled,
        handled.avg_talk_time_s,
        handled.avg_wrap_time_s,
        handled.avg_handle_time_s,
        handled.avg_sms_handle_time_s,
        task_outcomes.avg_speed_of_answer_s,
        task_outcomes.service_level,
        task_outcomes.abandonment_rate,
        coalesce(task_outcomes.short_abandons, 0) as short_abandons,
        task_outcomes.service_level_excl_short_abandons,
        {{ build_time() }} as refreshed_at
    from queue_days
    left join task_outcomes
        on queue_days.activity_date = task_outcomes.activity_date
            and queue_days.queue = task_outcomes.queue
    left join handled
        on queue_days.activity_date = handled.activity_date
            and queue_days.queue = handled.queue
)

select * from final
