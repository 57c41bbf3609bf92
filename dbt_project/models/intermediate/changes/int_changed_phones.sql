-- Phones whose consent or identity may have changed since the last complete build: phones of
-- new consent records, every phone a user with a new identify ever identified with (an
-- identify without a phone takes its user's latest phone, so a new phone moves older records
-- from the previous one), and the contact phones of changed tasks.
with changed as (
    select identifies.phone
    from {{ ref('stg_segment__identifies') }} as identifies
    where
        {{ loaded_since_last_build('identifies.loaded_at') }}
        or identifies.user_id in (select changed_users.user_id from {{ ref('int_changed_users') }} as changed_users)
    union
    select phone
    from {{ ref('int_consent_records') }}
    where {{ loaded_since_last_build() }}
    union
    select task_events.contact_phone as phone
    from {{ ref('int_task_events') }} as task_events
    where task_events.task_id in (select changed_tasks.task_id from {{ ref('int_changed_tasks') }} as changed_tasks)
)

select phone from changed
where phone is not null
