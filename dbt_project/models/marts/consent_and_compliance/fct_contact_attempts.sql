-- Did we call or text anyone without consent at that moment? One row per outbound attempt:
-- every outbound call, answered or not, and every `sms.sent`, with the contact's consent for
-- that channel at that instant from fct_consent_history. An attempt at the instant of a
-- consent change meets the state the change set (an opt-out, when both came at once: the
-- history's rule).
-- Incremental: every attempt of a phone with a new attempt or a consent change is judged again.
{{ config(
    unique_key='attempt_id',
    pre_hook="{{ delete_touched('contact_phone', 'int_changed_contact_phones') }}",
) }}

with calls as (
    select
        message_id as attempt_id,
        'voice' as channel,
        contact_phone,
        started_at as attempted_at,
        agent_email,
        campaign_id
    from {{ ref('fct_calls') }}
    where
        direction = 'OUTBOUND'
        and {{ touched_only('contact_phone', 'int_changed_contact_phones') }}
),

texts as (
    select
        message_id as attempt_id,
        'sms' as channel,
        to_number as contact_phone,
        occurred_at as attempted_at,
        agent_email,
        campaign_id
    from {{ ref('stg_regal_voice__sms_sent') }}
    where {{ touched_only('to_number', 'int_changed_contact_phones', 'contact_phone') }}
),

attempts as (
    select * from calls
    union all
    select * from texts
),

judged as (
    select
        attempts.*,
        history.is_subscribed,
        history.valid_from as consent_since
    from attempts
    left join {{ ref('fct_consent_history') }} as history
        on
            attempts.contact_phone = history.phone
            and attempts.channel = history.channel
            and attempts.attempted_at >= history.valid_from
            and (attempts.attempted_at < history.valid_to or history.valid_to is null)
),

final as (
    select
        attempt_id,
        channel,
        contact_phone,
        attempted_at,
        agent_email,
        campaign_id,
        case
            when is_subscribed then 'subscribed'
            when not is_subscribed then 'unsubscribed'
            else 'unknown'
        end as consent_status,
        consent_since,
        coalesce(is_subscribed, false) as has_consent,
        {{ build_time() }} as refreshed_at
    from judged
)

select * from final
