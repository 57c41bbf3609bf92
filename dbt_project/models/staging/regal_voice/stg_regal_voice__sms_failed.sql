-- `sms.failed`: an SMS the carrier refused (not in Segment's catalog page; Regal sends it),
-- with the carrier's error code.
with source as (
    {{ typed_source('regal_voice', 'sms_failed', sms_message_columns(error_code='varchar')) }}
),

renamed as (
    select
        {{ staged_envelope() }},
        sms_conversation_id,
        lower(agent_email) as agent_email,
        campaign_id,
        {{ phone_e164('from_number') }} as from_number,
        {{ phone_e164('to_number') }} as to_number,
        content,
        media_url,
        error_code
    from source
)

select * from renamed
