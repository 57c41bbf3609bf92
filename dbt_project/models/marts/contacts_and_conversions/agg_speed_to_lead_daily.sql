-- Per reporting day of the lead: how many leads arrived, how many were attempted, how fast
-- (median and 90th percentile over the attempted ones) and how many fell in each bucket.
-- Incremental: the days of the leads fct_speed_to_lead decided again this build, and every day
-- whose lead count no longer matches it (a lead that moved to an earlier day, or was forgotten).
{{ config(
    unique_key='activity_date',
    pre_hook="{{ delete_speed_to_lead_days() }}",
) }}

with leads as (
    select
        *,
        {{ reporting_date('lead_at') }} as activity_date
    from {{ ref('fct_speed_to_lead') }}
    where {{ on_days('lead_at', speed_to_lead_days()) }}
),

final as (
    select
        activity_date,
        count(*) as leads,
        count(first_attempt_at) as attempted,
        {{ percentile('speed_to_lead_s', 0.5) }} as median_speed_to_lead_s,
        {{ percentile('speed_to_lead_s', 0.9) }} as p90_speed_to_lead_s,
        count(*) filter (where speed_to_lead_bucket = 'under_5_min') as under_5_min,
        count(*) filter (where speed_to_lead_bucket = 'under_1_hour') as under_1_hour,
        count(*) filter (where speed_to_lead_bucket = 'under_1_day') as under_1_day,
        count(*) filter (where speed_to_lead_bucket = 'over_1_day') as over_1_day,
        count(*) filter (where speed_to_lead_bucket = 'not_attempted') as not_attempted,
        {{ build_time() }} as refreshed_at
    from leads
    group by 1
)

select * from final
