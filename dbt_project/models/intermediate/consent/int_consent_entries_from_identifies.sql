-- The identify `optIn` array, one row per entry per identify call. Regal ignores an entry
-- without a timestamp, so its effective time is the entry's own `timestamp`; an identify
-- without a phone trait falls back to the latest phone its user identified with.
with identifies as (
    select * from {{ ref('stg_segment__identifies') }}
),

user_phones as (
    select
        user_id,
        arg_max(phone, occurred_at) as phone
    from identifies
    where user_id is not null and phone is not null
    group by 1
),

entries as (
    select
        identifies.message_id,
        identifies.user_id,
        coalesce(identifies.phone, user_phones.phone) as phone,
        identifies.received_at,
        unnest(cast(json_extract(identifies.opt_in_json, '$[*]') as json[])) as entry
    from identifies
    left join user_phones on identifies.user_id = user_phones.user_id
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
        lower(json_extract_string(entry, '$.channel')) as channel,
        try_cast(json_extract_string(entry, '$.subscribed') as boolean) as is_subscribed,
        {{ epoch_to_timestamp("json_extract_string(entry, '$.timestamp')") }} as effective_at,
        json_extract_string(entry, '$.source') as consent_source,
        json_extract_string(entry, '$.ip') as ip,
        json_extract_string(entry, '$.text') as opt_in_text
    from entries
)

select * from parsed
