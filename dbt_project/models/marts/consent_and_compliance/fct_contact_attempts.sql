-- Did we call or text anyone without consent at that moment? One row per outbound attempt:
-- every outbound call, answered or not, and every `sms.sent`, with the contact's consent for
-- that channel at that instant from fct_consent_history. An attempt at the instant of a
-- consent change meets the state the change set (an opt-out, when both came at once: the
-- history's rule). Each attempt is also placed in the contact's own day: the zone of the
-- phone's longest prefix phonenumbers knows (the phone_prefix_timezones seed), and whether the
-- local time fell within the calling window (`calling_window_start` <= local < `calling_window_end`).
-- Incremental: every attempt of a phone with a new attempt or a consent change is judged again.
{{ config(
    unique_key='attempt_id',
    pre_hook="{{ delete_touched('contact_phone', 'int_changed_contact_phones') }}",
) }}

with calls as (
    select
        message_id as attempt_id,
        'voice' as channel,
        contact_phone,
        started_at as attempted_at,
        agent_email,
        campaign_id
    from {{ ref('fct_calls') }}
    where
        direction = 'OUTBOUND'
        and {{ touched_only('contact_phone', 'int_changed_contact_phones') }}
),

texts as (
    select
        message_id as attempt_id,
        'sms' as channel,
        to_number as contact_phone,
        occurred_at as attempted_at,
        agent_email,
        campaign_id
    from {{ ref('stg_regal_voice__sms_sent') }}
    where {{ touched_only('to_number', 'int_changed_contact_phones', 'contact_phone') }}
),

attempts as (
    select * from calls
    union all
    select * from texts
),

judged as (
    select
        attempts.*,
        history.is_subscribed,
        history.valid_from as consent_since
    from attempts
    left join {{ ref('fct_consent_history') }} as history
        on
            attempts.contact_phone = history.phone
            and attempts.channel = history.channel
            and attempts.attempted_at >= history.valid_from
            and (attempts.attempted_at < history.valid_to or history.valid_to is null)
),

-- Prefixes are 1 to 9 digits (a seed test).
prefix_lengths as (
    {%- for length in range(1, 10) %}
        select {{ length }} as prefix_length
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

-- The zone of the longest known prefix of the phone (its country code at least); none when
-- that prefix spans several zones, as +1 alone does.
prefix_zones as (
    select
        judged.attempt_id,
        prefixes.timezone,
        row_number() over (
            partition by judged.attempt_id order by length(prefixes.prefix) desc
        ) as longest_first
    from judged
    cross join prefix_lengths as lengths
    inner join {{ ref('phone_prefix_timezones') }} as prefixes
        on prefixes.prefix = substr(judged.contact_phone, 2, lengths.prefix_length)
    where
        judged.contact_phone like '+%'
        and length(judged.contact_phone) > lengths.prefix_length
),

placed as (
    select
        judged.*,
        prefix_zones.timezone as contact_timezone,
        {{ local_time_at('prefix_zones.timezone', 'judged.attempted_at') }} as local_attempted_at
    from judged
    left join prefix_zones
        on judged.attempt_id = prefix_zones.attempt_id and prefix_zones.longest_first = 1
),

final as (
    select
        attempt_id,
        channel,
        contact_phone,
        attempted_at,
        agent_email,
        campaign_id,
        case
            when is_subscribed then 'subscribed'
            when not is_subscribed then 'unsubscribed'
            else 'unknown'
        end as consent_status,
        consent_since,
        coalesce(is_subscribed, false) as has_consent,
        contact_timezone,
        local_attempted_at,
        {{ within_calling_window('local_attempted_at') }} as within_calling_window,
        {{ build_time() }} as refreshed_at
    from placed
)

select * from final
