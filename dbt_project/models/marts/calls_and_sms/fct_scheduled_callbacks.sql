-- Did we call back when we promised? One row per `scheduled.callback.requested` message, the
-- first outbound call to that phone from a few minutes before the promised time on, and the
-- verdict:
--   on_time  the call started at most `callback_grace_minutes` after the promised time
--            (from `callback_early_minutes` before it);
--   late     a call came, later than that;
--   missed   no call came, and calls loaded since show the promised time plus the grace is past;
--   pending  no call yet, and the grace is not known to be past.
-- "Past" is measured by the newest call in the warehouse, never the clock: a warehouse loaded
-- late does not call everything missed.
-- Incremental: callbacks of phones with a new request or a new call, and every callback
-- still pending (the newest call moves their deadline).
{{ config(unique_key='callback_request_id') }}

-- Callbacks still pending after the last build: the newest call moves their deadline.
with still_pending as (
    {%- if is_incremental() %}
        select callback_request_id from {{ this }}
        where callback_status = 'pending'
    {%- else %}
        select cast(null as {{ sql_type('varchar') }}) as callback_request_id
        where false
    {%- endif %}
),

requests as (
    select * from {{ ref('stg_regal_voice__scheduled_callback_requested') }}
    where
        {{ touched_only('contact_phone', 'int_changed_contact_phones') }}
        or message_id in (select still_pending.callback_request_id from still_pending)
),

outbound_calls as (
    select
        call_id,
        contact_phone,
        started_at
    from {{ ref('fct_calls') }}
    where direction = 'OUTBOUND' and started_at is not null
),

newest_call as (
    select max(started_at) as started_at from {{ ref('fct_calls') }}
),

-- Every outbound call that could keep the promise, the first one numbered 1.
candidates as (
    select
        requests.message_id,
        outbound_calls.call_id,
        outbound_calls.started_at,
        row_number() over (
            partition by requests.message_id
            order by outbound_calls.started_at, outbound_calls.call_id
        ) as candidate_number
    from requests
    inner join outbound_calls
        on
            requests.contact_phone = outbound_calls.contact_phone
            and outbound_calls.started_at
            >= requests.callback_at - interval '{{ var("callback_early_minutes") }} minutes'
),

fulfilments as (
    select * from candidates
    where candidate_number = 1
),

measured as (
    select
        requests.message_id as callback_request_id,
        requests.contact_phone,
        requests.scheduling_agent_email,
        requests.occurred_at as requested_at,
        requests.callback_at,
        fulfilments.call_id as fulfilling_call_id,
        fulfilments.started_at as fulfilled_at,
        {{ seconds_between('requests.callback_at', 'fulfilments.started_at') }} as callback_delay_s,
        requests.callback_at + interval '{{ var("callback_grace_minutes") }} minutes'
        < newest_call.started_at as is_grace_past
    from requests
    left join fulfilments on requests.message_id = fulfilments.message_id
    cross join newest_call
),

final as (
    select
        callback_request_id,
        contact_phone,
        scheduling_agent_email,
        requested_at,
        callback_at,
        fulfilling_call_id,
        fulfilled_at,
        callback_delay_s,
        case
            when callback_delay_s <= {{ var("callback_grace_minutes") }} * 60 then 'on_time'
            when fulfilling_call_id is not null then 'late'
            when is_grace_past then 'missed'
            else 'pending'
        end as callback_status,
        {{ build_time() }} as refreshed_at
    from measured
)

select * from final
