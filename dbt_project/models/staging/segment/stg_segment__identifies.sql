with identifies as (
    {{ typed_brand_source('identifies', {
        'phone': 'varchar',
        'email': 'varchar',
        'first_name': 'varchar',
        'last_name': 'varchar',
        'opt_in': 'varchar',
    }) }}
),

renamed as (
    select
        {{ staged_envelope() }},
        source,
        anonymous_id,
        {{ phone_e164('phone') }} as phone,
        lower(trim(email)) as email,
        first_name,
        last_name,
        opt_in as opt_in_json
    from identifies
)

select * from renamed
