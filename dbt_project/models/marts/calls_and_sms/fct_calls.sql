-- Incremental: every call with a new completion report or recording is recomputed, and every
-- call of a phone with a new inbound call (one that arrived late can make later calls repeats).
{{ config(unique_key='call_id') }}
{#- Outside the incremental branch: dbt records dependencies while parsing. #}
{%- set changed_calls = ref('int_changed_calls') %}

with calls as (
    select * from {{ ref('int_call_reports') }}
    {%- if is_incremental() %}
        where
            call_id in (select changed.call_id from {{ changed_calls }} as changed)
            or contact_phone in (
                select reports.contact_phone from {{ ref('int_call_reports') }} as reports
                where
                    reports.direction = 'INBOUND'
                    and reports.call_id in (select changed.call_id from {{ changed_calls }} as changed)
            )
    {%- endif %}
),

-- An inbound call is a repeat when the same phone called in within `repeat_contact_days`
-- before it (an earlier start; a call at the same instant is no repeat of it).
repeats as (
    select distinct calls.call_id
    from calls
    inner join {{ ref('int_call_reports') }} as earlier
        on
            calls.contact_phone = earlier.contact_phone
            and calls.call_id != earlier.call_id
            and calls.started_at > earlier.started_at
            and calls.started_at - interval '{{ var("repeat_contact_days") | int }} days' <= earlier.started_at
            and earlier.direction = 'INBOUND'
    where calls.direction = 'INBOUND'
),

recordings as (
    select
        call_id,
        {{ last_by('recording_link', 'received_at') }} as recording_link
    from {{ ref('stg_regal_voice__call_recording_available') }}
    where
        call_id is not null
        -- The recomputed calls only (all of them in a full build).
        and call_id in (select calls.call_id from calls)
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
        calls.direction = 'INBOUND' and repeats.call_id is not null as is_repeat_inbound,
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
    left join repeats on calls.call_id = repeats.call_id
)

select * from final
