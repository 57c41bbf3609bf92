-- Phones whose contact history changed since the last complete build: a new call report, a
-- new `sms.sent` or `sms.received`, a new callback request, or a consent change
-- (int_changed_phones). Callbacks kept, contact attempts, conversions and opt-out requests of
-- these phones are decided again.
with changed as (
    select contact_phone
    from {{ ref('stg_regal_voice__call_completed') }}
    where {{ loaded_since_last_build() }}
    union
    select to_number as contact_phone
    from {{ ref('stg_regal_voice__sms_sent') }}
    where {{ loaded_since_last_build() }}
    union
    select from_number as contact_phone
    from {{ ref('stg_regal_voice__sms_received') }}
    where {{ loaded_since_last_build() }}
    union
    select contact_phone
    from {{ ref('stg_regal_voice__scheduled_callback_requested') }}
    where {{ loaded_since_last_build() }}
    union
    select phone as contact_phone
    from {{ ref('int_changed_phones') }}
)

select contact_phone from changed
where contact_phone is not null
