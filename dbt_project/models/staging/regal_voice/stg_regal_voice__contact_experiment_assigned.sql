-- `contact.experiment.assigned`: a contact entered a variant of an experiment.
with source as (
    {{ typed_source('regal_voice', 'contact_experiment_assigned', {
        'phone': 'varchar',
        'contact_phone': 'varchar',
        'experiment_id': 'varchar',
        'experiment_name': 'varchar',
        'experiment_variant': 'varchar',
    }) }}
),

renamed as (
    select
        {{ staged_envelope() }},
        {{ contact_phone('phone', 'contact_phone') }} as contact_phone,
        -- A number in some events, a string in others: one text key for both.
        trim(experiment_id) as experiment_id,
        experiment_name,
        experiment_variant as variant
    from source
)

select * from renamed
