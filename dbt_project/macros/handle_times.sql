{#- Talk, wrap and handle time from a completed task's own timestamps, beside what Regal
    reported. Durations come from the timestamps because the reported ones are missing or
    text in some payloads (see DECISIONLOG.md); `durations_match_reported` flags payloads whose
    reported values disagree, and is null when Regal reported none. -#}
{% macro handle_time_columns() -%}
        {{ seconds_between('started_at', 'ended_at') }} as talk_time_s,
        {{ seconds_between('ended_at', 'completed_at') }} as wrap_time_s,
        {{ seconds_between('started_at', 'completed_at') }} as handle_time_s,
        reported_talk_time_s,
        reported_wrap_time_s,
        reported_handle_time_s,
        case
            when
                reported_talk_time_s is null
                and reported_wrap_time_s is null
                and reported_handle_time_s is null
                then null
            else
                coalesce(reported_talk_time_s = {{ seconds_between('started_at', 'ended_at') }}, true)
                and coalesce(reported_wrap_time_s = {{ seconds_between('ended_at', 'completed_at') }}, true)
                and coalesce(reported_handle_time_s = {{ seconds_between('started_at', 'completed_at') }}, true)
        end as durations_match_reported
{%- endmacro %}
