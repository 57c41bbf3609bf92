{{ stage_consent_event('contact_unsubscribed', is_subscribed=false) }}
