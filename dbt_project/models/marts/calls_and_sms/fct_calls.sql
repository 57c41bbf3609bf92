-- Incremental: every call with a new completion report or recording is recomputed.
{{ config(unique_key='call_id') }}

with calls as (
    select * from {{ ref('int_call_reports') }}
    where {{ touched_only('call_id', 'int_changed_calls') }}
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
        calls.call_type,
        calls.queue,
        calls.campaign_id,
        calls.campaign_name,
        calls.disposition,
        calls.was_answered,
        calls.started_at,
        calls.ended_at,
        calls.completed_at,
        calls.talk_time_s,
        calls.wrap_time_s,
        calls.handle_time_s,
        calls.reported_talk_time_s,
        calls.reported_wrap_time_s,
        calls.reported_handle_time_s,
        calls.durations_match_reported,
        recordings.recording_link,
        calls.message_id,
        {{ build_time() }} as refreshed_at
    from calls
    left join recordings on calls.call_id = recordings.call_id
)

select * from final
