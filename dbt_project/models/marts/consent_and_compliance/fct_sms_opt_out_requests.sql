-- Did we honour every STOP? One row per `sms.received` whose text, trimmed and in any case, is
-- one of the standard opt-out keywords (the CTIA's: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END,
-- QUIT, REVOKE, OPTOUT), with the SMS unsubscribe recorded for the phone after it and the
-- texts sent to the phone after it (until the phone re-subscribed to SMS).
-- Incremental: every request of a phone with a new reply, a new `sms.sent` or a consent change
-- is judged again.
{{ config(
    unique_key='message_id',
    pre_hook="{{ delete_touched('contact_phone', 'int_changed_contact_phones') }}",
) }}
{%- set keywords = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'] %}

with replies as (
    select
        message_id,
        from_number as contact_phone,
        occurred_at as received_at,
        upper({{ replace_all('content', '^\\s+|\\s+$', '') }}) as keyword
    from {{ ref('stg_regal_voice__sms_received') }}
    where
        from_number is not null
        and occurred_at is not null
        and {{ touched_only('from_number', 'int_changed_contact_phones', 'contact_phone') }}
),

requests as (
    select * from replies
    where keyword in ('{{ keywords | join("', '") }}')
),

sms_consent as (
    select
        phone,
        is_subscribed,
        effective_at
    from {{ ref('fct_consent_events') }}
    where channel = 'sms' and effective_at is not null
),

recorded as (
    select
        requests.message_id,
        min(sms_consent.effective_at) filter (where not sms_consent.is_subscribed)
            as unsubscribed_at,
        min(sms_consent.effective_at) filter (
            where sms_consent.is_subscribed and sms_consent.effective_at > requests.received_at
        ) as resubscribed_at
    from requests
    inner join sms_consent
        on
            requests.contact_phone = sms_consent.phone
            and requests.received_at <= sms_consent.effective_at
    group by 1
),

sent_after as (
    select
        requests.message_id,
        count(*) as messages_sent_after
    from requests
    left join recorded on requests.message_id = recorded.message_id
    inner join {{ ref('stg_regal_voice__sms_sent') }} as sent
        on
            requests.contact_phone = sent.to_number
            and requests.received_at < sent.occurred_at
            and (recorded.resubscribed_at is null or recorded.resubscribed_at > sent.occurred_at)
    group by 1
),

final as (
    select
        requests.message_id,
        requests.contact_phone,
        requests.received_at,
        requests.keyword,
        recorded.unsubscribed_at,
        coalesce(sent_after.messages_sent_after, 0) as messages_sent_after,
        case
            when coalesce(sent_after.messages_sent_after, 0) > 0 then 'violated'
            when recorded.unsubscribed_at is not null then 'honored'
            else 'unrecorded'
        end as status,
        {{ build_time() }} as refreshed_at
    from requests
    left join recorded on requests.message_id = recorded.message_id
    left join sent_after on requests.message_id = sent_after.message_id
)

select * from final
