{{ stage_consent_event('contact_subscribed', is_subscribed=true) }}
