{#- The outcome of the tasks that entered a queue, for agg_queue_daily (per day) and
    agg_queue_interval (per interval): one definition of each measure, over rows of fct_tasks.
    A short abandon is a task canceled without ever being accepted, at most
    `short_abandon_seconds` (var) after its creation. -#}
{% macro queue_task_outcomes() -%}
    {%- set short_abandon = "final_status = 'canceled' and accepted_at is null"
        ~ " and lifecycle_s <= " ~ var('short_abandon_seconds') -%}
    {%- set answered_in_time = "time_to_accept_s <= " ~ var('service_level_seconds') -%}
    {%- set reached_outcome = "created_at is not null"
        ~ " and (accepted_at is not null or final_status = 'canceled')" -%}
        count(*) as tasks_created,
        count(*) filter (where final_status = 'completed') as tasks_completed,
        count(*) filter (where final_status = 'canceled') as tasks_canceled,
        count(*) filter (where final_status = 'open') as tasks_open,
        {{ mean('time_to_accept_s') }} as avg_speed_of_answer_s,
        max(time_to_accept_s) as max_speed_of_answer_s,
        {{ ratio(
            "count(*) filter (where " ~ answered_in_time ~ ")",
            "count(*) filter (where " ~ reached_outcome ~ ")",
        ) }} as service_level,
        count(*) filter (where {{ short_abandon }}) as short_abandons,
        {{ ratio(
            "count(*) filter (where " ~ answered_in_time ~ ")",
            "count(*) filter (where " ~ reached_outcome ~ ")"
            ~ " - count(*) filter (where " ~ short_abandon ~ ")",
        ) }} as service_level_excl_short_abandons,
        {{ ratio(
            "count(*) filter (where final_status = 'canceled' and accepted_at is null)",
            "count(*) filter (where accepted_at is not null or final_status = 'canceled')",
        ) }} as abandonment_rate
{%- endmacro %}


{#- The start of the `interval_minutes`-long interval (var: 15, 30 or 60) holding `instant`,
    as a wall-clock time (timestamp without zone) in `zone`. -#}
{% macro interval_start_in(zone, instant) -%}
    {%- set minutes = var('interval_minutes') | int -%}
    {%- if minutes not in [15, 30, 60] -%}
        {{ exceptions.raise_compiler_error(
            "the interval_minutes var is " ~ var('interval_minutes')
            ~ ": intervals of 15, 30 or 60 minutes are allowed"
        ) }}
    {%- endif -%}
    {{ return(adapter.dispatch('interval_start_in', 'regal_voice_warehouse')(zone, instant, minutes)) }}
{%- endmacro %}

{% macro default__interval_start_in(zone, instant, minutes) -%}
    (date_trunc('hour', {{ local_time_in(zone, instant) }})
        + cast(floor(extract(minute from {{ local_time_in(zone, instant) }}) / {{ minutes }}) * {{ minutes }} as integer)
        * interval '1 minute')
{%- endmacro %}

{% macro spark__interval_start_in(zone, instant, minutes) -%}
    (cast(date_trunc('HOUR', {{ local_time_in(zone, instant) }}) as timestamp_ntz)
        + make_dt_interval(0, 0, cast(floor(minute({{ local_time_in(zone, instant) }}) / {{ minutes }}) * {{ minutes }} as int), 0))
{%- endmacro %}
