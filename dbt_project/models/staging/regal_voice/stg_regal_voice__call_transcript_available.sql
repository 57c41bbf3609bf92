-- `call.transcript.available`: the transcript link of a call (not in Segment's catalog page;
-- Regal sends it).
with source as (
    {{ typed_source('regal_voice', 'call_transcript_available', {
        'call_id': 'varchar',
        'task_id': 'varchar',
        'transcript_link': 'varchar',
    }) }}
),

renamed as (
    select
        {{ staged_envelope() }},
        coalesce(call_id, task_id) as call_id,
        transcript_link
    from source
)

select * from renamed
