-- One row per call with a completion report (`call.completed`), the latest report winning, with
-- talk, wrap and handle times derived from its own timestamps. fct_calls publishes it;
-- int_handled_tasks puts it beside the SMS conversations for fct_tasks and the daily KPIs.
-- Incremental: every call with a new completion report or recording is recomputed.
{{ config(materialized='incremental', unique_key='call_id') }}

with reports as (
    select * from {{ ref('stg_regal_voice__call_completed') }}
    where {{ touched_only('call_id', 'int_changed_calls') }}
),

-- A call reported twice under different message ids (a re-sent webhook): the latest wins.
calls as (
    {{ first_row_per(
        'reports',
        'call_id',
        'received_at desc, message_id asc',
        condition='call_id is not null',
    ) }}
),

final as (
    select
        call_id,
        task_id,
        agent_email,
        contact_phone,
        direction,
        task_type as call_type,
        queue,
        campaign_id,
        campaign_name,
        disposition,
        coalesce(conversation_happened, {{ seconds_between('started_at', 'ended_at') }} > 0)
            as was_answered,
        started_at,
        ended_at,
        completed_at,
        {{ handle_time_columns() }},
        message_id,
        {{ build_time() }} as refreshed_at
    from calls
)

select * from final
