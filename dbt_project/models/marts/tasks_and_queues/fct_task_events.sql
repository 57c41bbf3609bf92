-- Incremental: every event of a task with a new event is numbered again.
{{ config(unique_key='task_id') }}

with task_events as (
    select * from {{ ref('int_task_events') }}
    where {{ touched_only('task_id', 'int_changed_tasks') }}
),

final as (
    select
        message_id as task_event_id,
        task_id,
        -- bigint on every engine (Spark's row_number is an int).
        cast(row_number() over (
            partition by task_id order by occurred_at, lifecycle_rank, received_at, message_id
        ) as bigint) as event_sequence,
        event_name,
        occurred_at,
        received_at,
        agent_email,
        channel,
        queue,
        {{ build_time() }} as refreshed_at
    from task_events
)

select * from final
