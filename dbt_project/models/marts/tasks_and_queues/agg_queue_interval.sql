-- Per queue and interval of `interval_minutes` (var: 15, 30 or 60) in the reporting time zone:
-- the tasks that entered the queue in that interval (created, or first seen when `task.created`
-- is missing: agg_queue_daily's cohort) and their outcome, as contact-centre interval reports
-- show them.
-- Incremental: every interval of a day a changed task or status period falls on is recomputed.
{{ config(
    unique_key=['interval_start', 'queue'],
    pre_hook="{{ delete_touched('cast(interval_start as date)', 'int_changed_days', 'activity_date') }}",
) }}

with tasks as (
    select
        *,
        {{ interval_start_in(var('reporting_timezone'), 'coalesce(created_at, first_event_at)') }}
            as interval_start
    from {{ ref('fct_tasks') }}
    where
        coalesce(created_at, first_event_at) is not null
        and {{ touched_only(reporting_date('coalesce(created_at, first_event_at)'), 'int_changed_days', 'activity_date') }}
),

final as (
    select
        interval_start,
        coalesce(queue, '(none)') as queue,
        {{ queue_task_outcomes() }},
        {{ build_time() }} as refreshed_at
    from tasks
    group by 1, 2
)

select
    interval_start,
    queue,
    tasks_created,
    tasks_completed,
    tasks_canceled,
    tasks_open,
    service_level,
    short_abandons,
    service_level_excl_short_abandons,
    avg_speed_of_answer_s,
    max_speed_of_answer_s,
    refreshed_at
from final
