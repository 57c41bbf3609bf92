-- Incremental: every record of a phone whose consent changed is collapsed again.
{{ config(
    unique_key='consent_event_id',
    pre_hook="{{ delete_touched('phone', 'int_changed_phones') }}",
) }}

with records as (
    select * from {{ ref('int_consent_records') }}
    where {{ touched_only('phone', 'int_changed_phones') }}
),

-- Cached traits re-send the same entry with every identify: keep its first arrival.
collapsed as (
    {{ first_row_per(
        'records',
        'consent_event_id',
        'received_at, message_id',
        also='count(*) over (partition by consent_event_id) as times_received',
    ) }}
),

final as (
    select
        consent_event_id,
        phone,
        channel,
        is_subscribed,
        effective_at,
        changed_by,
        source,  -- noqa: RF04
        ip,
        opt_in_text,
        user_id,
        message_id,
        received_at as first_received_at,
        times_received,
        {{ build_time() }} as refreshed_at
    from collapsed
)

select * from final
