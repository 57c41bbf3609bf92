-- Which experiment variant converts? Per experiment and variant: the contacts assigned, and
-- those with a conversion at or after their first assignment, within
-- `attribution_window_days`.
-- Incremental: every experiment with a new assignment, or a new conversion of an assigned
-- contact, is recomputed whole.
{{ config(
    unique_key=['experiment_id', 'variant'],
    pre_hook="{% if is_incremental() %}delete from {{ this }} where experiment_id in ({{ experiments_touched_this_build() }}){% endif %}",
) }}

with assignments as (
    select * from {{ ref('fct_experiment_assignments') }}
    {%- if is_incremental() %}
        where experiment_id in ({{ experiments_touched_this_build() }})
    {%- endif %}
),

converted as (
    select distinct
        assignments.experiment_id,
        assignments.contact_phone
    from assignments
    inner join {{ ref('fct_conversions') }} as conversions
        on
            assignments.contact_phone = conversions.contact_phone
            and assignments.first_assigned_at <= conversions.converted_at
            and assignments.first_assigned_at + interval '{{ var("attribution_window_days") }} days'
            >= conversions.converted_at
),

final as (
    select
        assignments.experiment_id,
        coalesce(assignments.variant, '(none)') as variant,
        count(*) as contacts_assigned,
        count(converted.contact_phone) as contacts_converted,
        {{ ratio('count(converted.contact_phone)', 'count(*)') }} as conversion_rate,
        {{ build_time() }} as refreshed_at
    from assignments
    left join converted
        on
            assignments.experiment_id = converted.experiment_id
            and assignments.contact_phone = converted.contact_phone
    group by assignments.experiment_id, coalesce(assignments.variant, '(none)')
)

select * from final
