-- `sms.sent`: an SMS was sent to the contact (`to_number`); fct_contact_attempts counts
-- each as an outbound attempt.
with source as (
    {{ typed_source('regal_voice', 'sms_sent', sms_message_columns()) }}
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
        media_url
    from source
)

select * from renamed
