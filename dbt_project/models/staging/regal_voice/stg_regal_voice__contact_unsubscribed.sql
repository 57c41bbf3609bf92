-- `contact.unsubscribed`: Regal recorded a contact's opt-out for a channel. The phone is
-- `phone` (Regal's catalog) or `contact_phone`; `_timestamp` (epoch seconds) is when the
-- consent took effect.
with source as (
    {{ typed_source('regal_voice', 'contact_unsubscribed', consent_event_columns()) }}
),

renamed as (
    select
        {{ staged_envelope() }},
        {{ contact_phone('phone', 'contact_phone') }} as phone,
        lower(channel) as channel,
        false as is_subscribed,
        {{ epoch_to_timestamp('_timestamp') }} as effective_at,
        source,
        ip,
        -- quoted: `text` is a type name in PostgreSQL
        {{ adapter.quote('text') }} as opt_in_text
    from source
)

select * from renamed
