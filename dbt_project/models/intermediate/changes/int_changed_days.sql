-- Reporting days whose KPIs may have changed since the last complete build: every day any event
-- of a changed task happened on (a task counts on the day of its creation, acceptance or
-- completion, all of them event times, before and after the change), and every day an agent
-- status period changed on; and every day a forget request touched (the `forgotten_days` var).
with changed as (
    select {{ reporting_date('task_events.occurred_at') }} as activity_date
    from {{ ref('int_task_events') }} as task_events
    where task_events.task_id in (select changed_tasks.task_id from {{ ref('int_changed_tasks') }} as changed_tasks)
    union
    select activity_date
    from {{ ref('int_agent_activity_by_day') }}
    where refreshed_at = {{ build_time() }}
    {%- for day in var('forgotten_days', []) %}
        union
        select cast('{{ day }}' as date)
    {%- endfor %}
)

select activity_date from changed
where activity_date is not null
