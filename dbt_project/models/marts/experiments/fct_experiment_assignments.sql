-- One row per contact and experiment: the variant of the first assignment, and how many
-- assignment messages (re-sends included) the contact got.
-- Incremental: the contacts with a new assignment message are summed again over their
-- whole history (re-sends arrive later; the first assignment may arrive late).
{{ config(
    unique_key='experiment_assignment_id',
    pre_hook="{{ delete_touched('contact_phone', 'int_changed_experiment_contacts') }}",
) }}

with assignments as (
    select * from {{ ref('stg_regal_voice__contact_experiment_assigned') }}
    where
        contact_phone is not null
        and experiment_id is not null
        and {{ touched_only('contact_phone', 'int_changed_experiment_contacts') }}
),

-- The first assignment decides the variant (Regal re-sends assignments); ties in time go to
-- the smaller message id, so a rebuild picks the same one.
numbered as (
    select
        *,
        row_number() over (
            partition by contact_phone, experiment_id order by occurred_at, message_id
        ) as assignment_number,
        count(*) over (partition by contact_phone, experiment_id) as assignments
    from assignments
),

final as (
    select
        {{ dbt.hash("contact_phone || '|' || experiment_id") }} as experiment_assignment_id,
        contact_phone,
        experiment_id,
        experiment_name,
        variant,
        occurred_at as first_assigned_at,
        assignments,
        {{ build_time() }} as refreshed_at
    from numbered
    where assignment_number = 1
)

select * from final
