-- Per reporting day and channel: outbound attempts, and those made without consent at that
-- moment (unsubscribed, or no consent record before it), made outside the contact's calling
-- window, or to a phone whose time zone is unknown.
-- Incremental: every day holding an attempt this build judged again is recomputed whole.
{{ config(
    unique_key=['activity_date', 'channel'],
    pre_hook="{{ delete_days_refreshed_in('fct_contact_attempts', 'attempted_at') }}",
) }}

with attempts as (
    select
        *,
        {{ reporting_date('attempted_at') }} as activity_date
    from {{ ref('fct_contact_attempts') }}
    where
        attempted_at is not null
        and {{ on_days_refreshed_in('fct_contact_attempts', 'attempted_at') }}
),

final as (
    select
        activity_date,
        channel,
        count(*) as attempts,
        count(*) filter (where not has_consent) as attempts_without_consent,
        {{ ratio('count(*) filter (where not has_consent)', 'count(*)') }} as share_without_consent,
        count(*) filter (where not within_calling_window) as attempts_outside_window,
        count(*) filter (where contact_timezone is null) as attempts_unknown_timezone,
        {{ build_time() }} as refreshed_at
    from attempts
    group by activity_date, channel
)

select * from final
