-- Agent status periods cut at the reporting day's midnights (in the reporting_timezone var),
-- so a shift across midnight counts on both days. Open periods (the current status) are left
-- out: their length is not known yet.
-- Incremental: the periods int_agent_status_periods recomputed in this build are cut again.
{{ config(materialized='incremental', unique_key='agent_activity_id') }}

with periods as (
    select * from {{ ref('int_agent_status_periods') }}
    where ended_at is not null and {{ refreshed_by_this_build_only() }}
),

days as (
    select
        periods.*,
        {{ each_day(reporting_date('started_at'), reporting_date('ended_at')) }} as day_start
    from periods
),

clipped as (
    select
        agent_activity_id,
        agent_email,
        activity_name,
        is_available,
        cast(day_start as date) as activity_date,
        greatest(started_at, {{ instant_of_local(var("reporting_timezone"), 'cast(day_start as timestamp)') }})
            as clipped_start,
        least(
            ended_at,
            {{ instant_of_local(var("reporting_timezone"), "cast(day_start as timestamp) + interval '1 day'") }}
        ) as clipped_end
    from days
)

select
    agent_activity_id,
    agent_email,
    activity_name,
    is_available,
    activity_date,
    {{ seconds_between('clipped_start', 'clipped_end') }} as duration_s,
    {{ build_time() }} as refreshed_at
from clipped
