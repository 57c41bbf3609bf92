-- Phones whose contact attempts must be judged again: a new outbound call report or
-- sms.sent, or a consent change (int_changed_phones), since the last complete build.
with changed as (
    select contact_phone
    from {{ ref('stg_regal_voice__call_completed') }}
    where {{ loaded_since_last_build() }}
    union
    select to_number as contact_phone
    from {{ ref('stg_regal_voice__sms_sent') }}
    where {{ loaded_since_last_build() }}
    union
    select phone as contact_phone
    from {{ ref('int_changed_phones') }}
)

select contact_phone from changed
where contact_phone is not null
