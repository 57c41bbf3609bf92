with source as (
    {{ typed_source('regal_voice', 'task_created', regal_task_columns(
        created_at='varchar',
        direction='varchar',
    )) }}
),

renamed as (
    select
        {{ staged_envelope() }},
        {{ staged_task_fields() }},
        upper(direction) as direction,
        {{ epoch_to_timestamp('created_at') }} as created_at
    from source
)

select * from renamed
