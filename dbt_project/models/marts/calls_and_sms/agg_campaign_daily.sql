-- Per campaign and reporting day: outbound calls (by the day they started) and how many
-- connected, texts sent and undelivered, and the conversions whose last-touch call was the
-- campaign's (by the day of the conversion). Calls and texts without a campaign count under
-- `(none)`; conversions without a last-touch call count nowhere.
-- Incremental: every day with a recomputed call or conversion or a new text is recomputed whole.
{{ config(
    unique_key=['activity_date', 'campaign_id'],
    pre_hook="{{ delete_days(campaign_days_touched()) }}",
) }}

with calls as (
    select
        {{ reporting_date('started_at') }} as activity_date,
        coalesce(campaign_id, '(none)') as campaign_id,
        count(*) as outbound_calls,
        count(*) filter (where was_answered) as connected_calls,
        {{ mean('talk_time_s', 'was_answered') }} as avg_talk_time_s
    from {{ ref('fct_calls') }}
    where
        direction = 'OUTBOUND'
        and started_at is not null
        and {{ on_days('started_at', campaign_days_touched()) }}
    group by 1, 2
),

sent as (
    select
        {{ reporting_date('occurred_at') }} as activity_date,
        coalesce(campaign_id, '(none)') as campaign_id,
        count(*) as sms_sent
    from {{ ref('stg_regal_voice__sms_sent') }}
    where occurred_at is not null and {{ on_days('occurred_at', campaign_days_touched()) }}
    group by 1, 2
),

undelivered as (
    select
        {{ reporting_date('occurred_at') }} as activity_date,
        coalesce(campaign_id, '(none)') as campaign_id,
        count(*) as sms_undelivered
    from {{ ref('stg_regal_voice__sms_undelivered') }}
    where occurred_at is not null and {{ on_days('occurred_at', campaign_days_touched()) }}
    group by 1, 2
),

conversions as (
    select
        {{ reporting_date('converted_at') }} as activity_date,
        coalesce(last_touch_campaign_id, '(none)') as campaign_id,
        count(*) as conversions
    from {{ ref('fct_conversions') }}
    where
        last_touch_call_id is not null
        and converted_at is not null
        and {{ on_days('converted_at', campaign_days_touched()) }}
    group by 1, 2
),

campaign_days as (
    select
        activity_date,
        campaign_id
    from calls
    union
    select
        activity_date,
        campaign_id
    from sent
    union
    select
        activity_date,
        campaign_id
    from undelivered
    union
    select
        activity_date,
        campaign_id
    from conversions
),

final as (
    select
        campaign_days.activity_date,
        campaign_days.campaign_id,
        coalesce(calls.outbound_calls, 0) as outbound_calls,
        coalesce(calls.connected_calls, 0) as connected_calls,
        {{ ratio('calls.connected_calls', 'calls.outbound_calls') }} as connect_rate,
        calls.avg_talk_time_s,
        coalesce(sent.sms_sent, 0) as sms_sent,
        coalesce(undelivered.sms_undelivered, 0) as sms_undelivered,
        coalesce(conversions.conversions, 0) as conversions,
        {{ build_time() }} as refreshed_at
    from campaign_days
    left join calls
        on campaign_days.activity_date = calls.activity_date
            and campaign_days.campaign_id = calls.campaign_id
    left join sent
        on campaign_days.activity_date = sent.activity_date
            and campaign_days.campaign_id = sent.campaign_id
    left join undelivered
        on campaign_days.activity_date = undelivered.activity_date
            and campaign_days.campaign_id = undelivered.campaign_id
    left join conversions
        on campaign_days.activity_date = conversions.activity_date
            and campaign_days.campaign_id = conversions.campaign_id
)

select * from final
