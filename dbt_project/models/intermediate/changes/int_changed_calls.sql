-- Calls with a completion report or a recording loaded since the last complete build.
with changed as (
    select call_id
    from {{ ref('stg_regal_voice__call_completed') }}
    where {{ loaded_since_last_build() }}
    union
    select call_id
    from {{ ref('stg_regal_voice__call_recording_available') }}
    where {{ loaded_since_last_build() }}
)

select call_id from changed
where call_id is not null
