-- Every valid consent record from both sources, one row per message that carried it: the
-- identify entries (changed_by = identify) and contact.subscribed / contact.unsubscribed
-- (changed_by = regal_voice). A record is valid when it names a phone, a channel, a state and
-- an effective time; identify entries without a timestamp are ignored, as Regal ignores them.
-- `consent_event_id` names the record, so re-sends of it share one id.
-- Incremental: the rows of messages loaded (or re-unnested) since the last complete build.
{{ config(materialized='incremental', unique_key='message_id') }}

with identify_entries as (
    select
        message_id,
        user_id,
        phone,
        channel,
        is_subscribed,
        effective_at,
        'identify' as changed_by,
        source,  -- noqa: RF04
        ip,
        opt_in_text,
        received_at,
        loaded_at
    from {{ ref('int_consent_entries_from_identifies') }}
    where {{ new_rows_only() }}
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
            source,  -- noqa: RF04
            ip,
            opt_in_text,
            received_at,
            loaded_at
        from {{ ref('stg_regal_voice__' ~ table_name) }}
        where {{ new_rows_only() }}
        {{ "union all" if not loop.last }}
    {%- endfor %}
),

valid_records as (
    select * from identify_entries
    union all
    select * from regal_events
)

select
    md5(concat_ws(
        '|', phone, channel, cast(is_subscribed as {{ sql_type('varchar') }}),
        {{ epoch_milliseconds('effective_at') }}, changed_by
    )) as consent_event_id,
    *
from valid_records
where
    phone is not null
    and channel is not null
    and is_subscribed is not null
    and effective_at is not null
