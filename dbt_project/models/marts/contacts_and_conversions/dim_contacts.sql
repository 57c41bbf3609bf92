-- One row per phone number (Regal's contact key) seen in identifies, consent records or tasks.
-- Incremental: every phone whose identity, consent or tasks changed is recomputed.
{{ config(
    unique_key='phone',
    pre_hook="{{ delete_touched('phone', 'int_changed_phones') }}",
) }}

with identifies as (
    select * from {{ ref('stg_segment__identifies') }}
    where phone is not null and {{ touched_only('phone', 'int_changed_phones') }}
),

latest_identity as (
    select
        phone,
        {{ last_by('user_id', 'occurred_at', "user_id is not null") }} as user_id,
        {{ last_by('email', 'occurred_at', "email is not null") }} as email,
        {{ last_by('first_name', 'occurred_at', "first_name is not null") }} as first_name,
        {{ last_by('last_name', 'occurred_at', "last_name is not null") }} as last_name,
        max(occurred_at) as last_identified_at
    from identifies
    group by 1
),

current_consent as (
    select
        phone,
        bool_or(is_subscribed) filter (where channel = 'sms') as is_sms_subscribed,
        bool_or(is_subscribed) filter (where channel = 'voice') as is_voice_subscribed,
        bool_or(is_subscribed) filter (where channel = 'email') as is_email_subscribed,
        max(valid_from) as consent_updated_at
    from {{ ref('fct_consent_history') }}
    where is_current and {{ touched_only('phone', 'int_changed_phones') }}
    group by 1
),

task_contacts as (
    select
        contact_phone as phone,
        count(*) as task_count,
        max(first_event_at) as last_task_at
    from {{ ref('fct_tasks') }}
    where
        contact_phone is not null
        and {{ touched_only('contact_phone', 'int_changed_phones', 'phone') }}
    group by 1
),

consent_users as (
    select
        phone,
        {{ last_by('user_id', 'effective_at', "user_id is not null") }} as user_id
    from {{ ref('fct_consent_events') }}
    where {{ touched_only('phone', 'int_changed_phones') }}
    group by 1
),

phones as (
    select phone from latest_identity
    union
    select phone from current_consent
    union
    select phone from task_contacts
),

final as (
    select
        phones.phone,
        coalesce(latest_identity.user_id, consent_users.user_id) as user_id,
        latest_identity.email,
        latest_identity.first_name,
        latest_identity.last_name,
        latest_identity.last_identified_at,
        current_consent.is_sms_subscribed,
        current_consent.is_voice_subscribed,
        current_consent.is_email_subscribed,
        current_consent.consent_updated_at,
        coalesce(task_contacts.task_count, 0) as task_count,
        task_contacts.last_task_at,
        {{ build_time() }} as refreshed_at
    from phones
    left join latest_identity on phones.phone = latest_identity.phone
    left join current_consent on phones.phone = current_consent.phone
    left join task_contacts on phones.phone = task_contacts.phone
    left join consent_users on phones.phone = consent_users.phone
)

select * from final
