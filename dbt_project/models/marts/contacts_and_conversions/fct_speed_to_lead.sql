-- How fast is a new lead first contacted? One row per contact phone: when any source first
-- named it (a brand identify's phone trait, or a Regal Voice event naming the contact), and
-- the first outbound attempt at or after that moment: an outbound call's start or an
-- `sms.sent` to the phone.
-- Incremental: every phone a message loaded since the last complete build names is decided
-- again (its lead time can only move earlier; a new attempt is such a message too).
{{ config(unique_key='contact_phone') }}

with sightings as (
    {{ phone_sightings() }}
),

touched_phones as (
    select distinct phone from sightings
    {%- if is_incremental() %}
        where {{ loaded_since_last_build() }}
    {%- endif %}
),

leads as (
    select
        phone as contact_phone,
        min(seen_at) as lead_at
    from sightings
    where phone in (select touched_phones.phone from touched_phones)
    group by 1
),

attempts as (
    select
        contact_phone,
        started_at as attempted_at,
        'voice' as channel
    from {{ ref('fct_calls') }}
    where
        direction = 'OUTBOUND'
        and started_at is not null
        and contact_phone in (select touched_phones.phone from touched_phones)
    union all
    select
        to_number as contact_phone,
        occurred_at as attempted_at,
        'sms' as channel
    from {{ ref('stg_regal_voice__sms_sent') }}
    where
        occurred_at is not null
        and to_number in (select touched_phones.phone from touched_phones)
),

-- The first attempt at or after the lead; a call and a text at the same instant: the call.
first_attempts as (
    select
        leads.contact_phone,
        attempts.attempted_at,
        attempts.channel,
        row_number() over (
            partition by leads.contact_phone
            order by attempts.attempted_at, case when attempts.channel = 'voice' then 0 else 1 end
        ) as attempt_number
    from leads
    inner join attempts
        on
            leads.contact_phone = attempts.contact_phone
            and leads.lead_at <= attempts.attempted_at
),

measured as (
    select
        leads.contact_phone,
        leads.lead_at,
        first_attempts.attempted_at as first_attempt_at,
        first_attempts.channel as first_attempt_channel,
        {{ seconds_between('leads.lead_at', 'first_attempts.attempted_at') }} as speed_to_lead_s
    from leads
    left join first_attempts
        on leads.contact_phone = first_attempts.contact_phone and first_attempts.attempt_number = 1
),

final as (
    select
        contact_phone,
        lead_at,
        first_attempt_at,
        first_attempt_channel,
        speed_to_lead_s,
        case
            when first_attempt_at is null then 'not_attempted'
            when speed_to_lead_s < 300 then 'under_5_min'
            when speed_to_lead_s < 3600 then 'under_1_hour'
            when speed_to_lead_s < 86400 then 'under_1_day'
            else 'over_1_day'
        end as speed_to_lead_bucket,
        {{ build_time() }} as refreshed_at
    from measured
)

select * from final
