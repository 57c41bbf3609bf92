-- Type-2 consent intervals per (phone, channel), ordered by effective time, never by arrival.
with records as (
    select * from {{ ref('int_consent_records') }}
),

one_state_per_instant as (
    -- Two records at the same instant with different states: the opt-out wins, the safe
    -- reading for compliance.
    select *
    from records
    qualify row_number() over (
            partition by phone, channel, effective_at
            order by is_subscribed, changed_by, received_at, message_id
        ) = 1
),

state_changes as (
    -- A record that repeats the current state (a stale or re-sent opt-in) opens nothing.
    select *
    from one_state_per_instant
    qualify
        lag(is_subscribed) over (partition by phone, channel order by effective_at)
        is distinct from is_subscribed
),

final as (
    select
        md5(concat_ws('|', phone, channel, epoch_ms(effective_at))) as consent_period_id,
        phone,
        channel,
        is_subscribed,
        effective_at as valid_from,
        lead(effective_at) over (partition by phone, channel order by effective_at) as valid_to,
        lead(effective_at) over (partition by phone, channel order by effective_at) is null
            as is_current,
        changed_by,
        consent_source as source,  -- noqa: RF04
        ip,
        opt_in_text,
        user_id,
        message_id
    from state_changes
)

select * from final
