{{ stage_sms_message('sms_received') }}
