with records as (
    select * from {{ ref('int_consent_records') }}
),

final as (
    select
        consent_event_id,
        phone,
        channel,
        is_subscribed,
        effective_at,
        changed_by,
        consent_source as source,  -- noqa: RF04
        ip,
        opt_in_text,
        user_id,
        message_id,
        received_at as first_received_at,
        times_received
    from records
)

select * from final
