-- Which calls led to a sale? One row per brand track event named in the `conversion_events`
-- var, from every brand source, with the contact's phone (the newest one seen for its user
-- id) and the last touch: the last answered call to that phone that ended at or before the
-- conversion, within `attribution_window_days`.
-- Incremental: conversions loaded since the last complete build, those of users whose newest
-- phone changed, and those of phones with a new call.
{{ config(unique_key='conversion_id') }}
{%- set conversion_events = var('conversion_events') | map('replace', "'", "''") | list %}
{#- Outside the incremental branch: dbt records dependencies while parsing. #}
{%- set changed_contact_phones = ref('int_changed_contact_phones') %}

with tracks as (
    {{ typed_brand_source('tracks', {'event': 'varchar', 'event_text': 'varchar'}) }}
),

conversion_tracks as (
    select
        tracks.id as conversion_id,
        coalesce(tracks.event_text, tracks.event) as event,  -- noqa: RF04
        tracks.source,  -- noqa: RF04
        tracks.user_id,
        tracks.{{ adapter.quote('timestamp') }} as converted_at,  -- noqa: RF06
        tracks.uuid_ts as loaded_at
    from tracks
    where coalesce(tracks.event_text, tracks.event) in ('{{ conversion_events | join("', '") }}')
),

conversions as (
    select
        conversion_tracks.*,
        user_phones.phone as contact_phone
    from conversion_tracks
    left join {{ ref('int_user_phones') }} as user_phones
        on conversion_tracks.user_id = user_phones.user_id
),

touched as (
    select * from conversions
    {%- if is_incremental() %}
        where
            {{ loaded_since_last_build('conversions.loaded_at') }}
            or conversions.user_id in (
                select phones.user_id from {{ ref('int_user_phones') }} as phones
                where {{ refreshed_by_this_build_only('phones.refreshed_at') }}
            )
            or conversions.contact_phone in (
                select changed.contact_phone from {{ changed_contact_phones }} as changed
            )
    {%- endif %}
),

answered_calls as (
    select
        call_id,
        contact_phone,
        campaign_id,
        agent_email,
        ended_at
    from {{ ref('fct_calls') }}
    where was_answered and ended_at is not null
),

-- Calls that could have led to the conversion, the last one numbered 1.
touches as (
    select
        touched.conversion_id,
        answered_calls.call_id,
        answered_calls.campaign_id,
        answered_calls.agent_email,
        answered_calls.ended_at,
        row_number() over (
            partition by touched.conversion_id
            order by answered_calls.ended_at desc, answered_calls.call_id desc
        ) as touch_number
    from touched
    inner join answered_calls
        on
            touched.contact_phone = answered_calls.contact_phone
            and touched.converted_at >= answered_calls.ended_at
            and touched.converted_at - interval '{{ var("attribution_window_days") }} days'
            <= answered_calls.ended_at
),

final as (
    select
        touched.conversion_id,
        touched.event,
        touched.source,  -- noqa: RF04
        touched.user_id,
        touched.contact_phone,
        touched.converted_at,
        touches.call_id as last_touch_call_id,
        touches.campaign_id as last_touch_campaign_id,
        touches.agent_email as last_touch_agent_email,
        {{ seconds_between('touches.ended_at', 'touched.converted_at') }} as seconds_since_touch,
        {{ build_time() }} as refreshed_at
    from touched
    left join touches
        on touched.conversion_id = touches.conversion_id and touches.touch_number = 1
)

select * from final
