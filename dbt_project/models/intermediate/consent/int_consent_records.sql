-- Every valid consent record from both sources, re-sends collapsed: the identify entries
-- (changed_by = identify) and contact.subscribed / contact.unsubscribed (changed_by =
-- regal_voice). A record is valid when it names a phone, a channel, a state and an effective
-- time; identify entries without a timestamp are ignored, as Regal ignores them.
with identify_entries as (
    select
        message_id,
        user_id,
        phone,
        channel,
        is_subscribed,
        effective_at,
        'identify' as changed_by,
        consent_source,
        ip,
        opt_in_text,
        received_at
    from {{ ref('int_consent_entries_from_identifies') }}
),

regal_events as (
    {%- for table_name in ['contact_subscribed', 'contact_unsubscribed'] %}
        select
            message_id,
            user_id,
            phone,
            channel,
            is_subscribed,
            -- the event's own `timestamp` property; Segment's event time only when it is absent
            coalesce(effective_at, occurred_at) as effective_at,
            'regal_voice' as changed_by,
            consent_source,
            ip,
            opt_in_text,
            received_at
        from {{ ref('stg_regal_voice__' ~ table_name) }}
        {{ "union all" if not loop.last }}
    {%- endfor %}
),

valid_records as (
    select * from identify_entries
    union all
    select * from regal_events
),

collapsed as (
    -- Cached traits re-send the same entry with every identify: keep its first arrival.
    select
        md5(concat_ws('|', phone, channel, is_subscribed, epoch_ms(effective_at), changed_by))
            as consent_event_id,
        *,
        count(*) over (
            partition by phone, channel, is_subscribed, effective_at, changed_by
        ) as times_received
    from valid_records
    where
        phone is not null
        and channel is not null
        and is_subscribed is not null
        and effective_at is not null
    qualify row_number() over (
            partition by phone, channel, is_subscribed, effective_at, changed_by
            order by received_at, message_id
        ) = 1
)

select * from collapsed
