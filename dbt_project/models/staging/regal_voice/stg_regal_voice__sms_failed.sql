-- `sms.failed`: an SMS the carrier refused (not in Segment's catalog page; Regal sends it),
-- staged as every sms.* message, with the carrier's error code.
{{ stage_sms_message('sms_failed', extra=['error_code']) }}
