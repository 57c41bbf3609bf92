-- The identify `optIn` array, one row per entry per identify call. Regal ignores an entry
-- without a timestamp, so its effective time is the entry's own `timestamp`; an identify
-- without a phone trait falls back to the latest phone its user identified with.
-- Incremental: the identifies of every user with a new identify are unnested again, since a
-- new phone changes the fallback of the user's older calls; `loaded_at` is the newest of the
-- call's own and its user's identifies.
{{ config(materialized='incremental', unique_key='message_id') }}

with identifies as (
    select * from {{ ref('stg_segment__identifies') }}
    where
        {{ new_rows_only() }}
        or {{ touched_only('user_id', 'int_changed_users') }}
),

users as (
    select
        user_id,
        {{ last_by('phone', 'occurred_at', "phone is not null") }} as phone,
        max(loaded_at) as loaded_at
    from identifies
    where user_id is not null
    group by 1
),

entries as (
    select
        identifies.message_id,
        identifies.user_id,
        coalesce(identifies.phone, users.phone) as phone,
        identifies.received_at,
        greatest(identifies.loaded_at, users.loaded_at) as loaded_at,
        {{ json_array_elements_of('identifies.opt_in_json') }} as entry
    from identifies
    left join users on identifies.user_id = users.user_id
    where
        {{ is_json_array('identifies.opt_in_json') }}
),

parsed as (
    select
        message_id,
        user_id,
        phone,
        received_at,
        loaded_at,
        lower({{ json_text_of('entry', 'channel') }}) as channel,
        {{ try_to(json_text_of('entry', 'subscribed'), 'boolean') }} as is_subscribed,
        {{ epoch_to_timestamp(json_text_of('entry', 'timestamp')) }} as effective_at,
        {{ json_text_of('entry', 'source') }} as source,  -- noqa: RF04
        {{ json_text_of('entry', 'ip') }} as ip,
        {{ json_text_of('entry', 'text') }} as opt_in_text
    from entries
)

select * from parsed
