-- How fast is a new lead first contacted? One row per contact phone: when any source first
-- named it (a brand identify's phone trait, or a Regal Voice event naming the contact), and
-- the first outbound attempt at or after that moment: an outbound call's start or an
-- `sms.sent` to the phone.
-- Incremental: the phones a message loaded since the last complete build names (a new
-- attempt is such a message too). Sightings only ever add up (a forget removes the phone's
-- row whole), so a phone's lead is the earlier of the one on record and its new sightings':
-- the cost follows the new messages, not the history.
{{ config(unique_key='contact_phone') }}

with sightings as (
    {{ phone_sightings() }}
),

new_sightings as (
    select
        phone,
        min(seen_at) as seen_at
    from sightings
    {%- if is_incremental() %}
        where {{ loaded_since_last_build() }}
    {%- endif %}
    group by 1
),

leads as (
    {%- if is_incremental() %}
        select
            new_sightings.phone as contact_phone,
            least(coalesce(recorded.lead_at, new_sightings.seen_at), new_sightings.seen_at)
                as lead_at
        from new_sightings
        left join {{ this }} as recorded on new_sightings.phone = recorded.contact_phone
    {%- else %}
        select
            phone as contact_phone,
            seen_at as lead_at
        from new_sightings
    {%- endif %}
),

touched_phones as (
    select contact_phone as phone from leads
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
