-- The identify `optIn` array, one row per entry per identify call. Regal ignores an entry
-- without a timestamp, so its effective time is the entry's own `timestamp`; an identify
-- without a phone trait falls back to the latest phone its user identified with.
-- Incremental: the identifies of every user with a new identify are unnested again, since a
-- new phone changes the fallback of the user's older calls; `loaded_at` is the newest of the
-- call's own and its user's identifies.
{{ config(materialized='incremental', unique_key='message_id', incremental_strategy='delete+insert', on_schema_change='append_new_columns') }}

with identifies as (
    select * from {{ ref('stg_segment__identifies') }}
    where
        {{ new_rows_only() }}
        or {{ touched_only('user_id', 'int_changed_users') }}
),

users as (
    select
        user_id,
        arg_max(phone, occurred_at) filter (where phone is not null) as phone,
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
        unnest(cast(json_extract(identifies.opt_in_json, '$[*]') as json[])) as entry
    from identifies
    left join users on identifies.user_id = users.user_id
    where
        json_valid(identifies.opt_in_json)
        and json_type(identifies.opt_in_json) = 'ARRAY'
),

parsed as (
    select
        message_id,
        user_id,
        phone,
        received_at,
        loaded_at,
        lower(json_extract_string(entry, '$.channel')) as channel,
        {{ try_to("json_extract_string(entry, '$.subscribed')", 'boolean') }} as is_subscribed,
        {{ epoch_to_timestamp("json_extract_string(entry, '$.timestamp')") }} as effective_at,
        json_extract_string(entry, '$.source') as consent_source,
        json_extract_string(entry, '$.ip') as ip,
        json_extract_string(entry, '$.text') as opt_in_text
    from entries
)

select * from parsed
