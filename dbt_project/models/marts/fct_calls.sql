-- Incremental: every call with a new completion report or recording is recomputed.
{{ config(unique_key='call_id') }}

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

recordings as (
    select
        call_id,
        {{ last_by('recording_link', 'received_at') }} as recording_link
    from {{ ref('stg_regal_voice__call_recording_available') }}
    where
        call_id is not null
        and {{ touched_only('call_id', 'int_changed_calls') }}
    group by 1
),

final as (
    select
        calls.call_id,
        calls.task_id,
        calls.agent_email,
        calls.contact_phone,
        calls.direction,
        calls.task_type as call_type,
        calls.queue,
        calls.campaign_id,
        calls.campaign_name,
        calls.disposition,
        coalesce(
            calls.conversation_happened,
            {{ seconds_between('calls.started_at', 'calls.ended_at') }} > 0
        ) as was_answered,
        calls.started_at,
        calls.ended_at,
        calls.completed_at,
        {{ handle_time_columns() }},
        recordings.recording_link,
        calls.message_id,
        {{ build_time() }} as refreshed_at
    from calls
    left join recordings on calls.call_id = recordings.call_id
)

select * from final
