-- `sms.failed`: an SMS the carrier refused (not in Segment's catalog page; Regal sends it).
with source as (
    {{ typed_source('regal_voice', 'sms_failed', {
        'sms_conversation_id': 'varchar',
        'agent_email': 'varchar',
        'campaign_id': 'varchar',
        'from_number': 'varchar',
        'to_number': 'varchar',
        'content': 'varchar',
        'error_code': 'varchar',
    }) }}
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
        error_code
    from source
)

select * from renamed
