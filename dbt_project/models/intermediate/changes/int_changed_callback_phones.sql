-- Phones with a callback request or a call loaded since the last complete build: whether
-- their callbacks were kept is decided again.
with changed as (
    select contact_phone
    from {{ ref('stg_regal_voice__scheduled_callback_requested') }}
    where {{ loaded_since_last_build() }}
    union
    select contact_phone
    from {{ ref('stg_regal_voice__call_completed') }}
    where {{ loaded_since_last_build() }}
)

select contact_phone from changed
where contact_phone is not null
