-- Type-2 consent intervals per (phone, channel), ordered by effective time, never by arrival.
-- Incremental: the whole history of every phone whose consent changed is recomputed.
{{ config(
    unique_key='consent_period_id',
    pre_hook="{{ delete_touched('phone', 'int_changed_phones') }}",
) }}

with records as (
    select * from {{ ref('int_consent_records') }}
    where {{ touched_only('phone', 'int_changed_phones') }}
),

-- Two records at the same instant with different states: the opt-out wins, the safe
-- reading for compliance. A record received several times counts from its first arrival.
one_state_per_instant as (
    {{ first_row_per(
        'records',
        'phone, channel, effective_at',
        'is_subscribed, changed_by, received_at, message_id',
    ) }}
),

state_changes as (
    -- A record that repeats the current state (a stale or re-sent opt-in) opens nothing.
    select *
    from (
        select
            *,
            lag(is_subscribed) over (
                partition by phone, channel order by effective_at
            ) as previous_is_subscribed
        from one_state_per_instant
    ) as with_previous_state
    where previous_is_subscribed is distinct from is_subscribed
),

final as (
    select
        md5(concat_ws('|', phone, channel, {{ epoch_milliseconds('effective_at') }}))
            as consent_period_id,
        phone,
        channel,
        is_subscribed,
        effective_at as valid_from,
        lead(effective_at) over (partition by phone, channel order by effective_at) as valid_to,
        lead(effective_at) over (partition by phone, channel order by effective_at) is null
            as is_current,
        changed_by,
        source,  -- noqa: RF04
        ip,
        opt_in_text,
        user_id,
        message_id,
        {{ build_time() }} as refreshed_at
    from state_changes
)

select * from final
