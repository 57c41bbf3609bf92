-- The newest phone seen for each Segment user id: in any identify's traits (every brand
-- source), or in any Regal event that names the contact's phone. A brand's conversion events
-- carry a user id but no phone; this is how they find the contact Regal called.
-- Incremental: users with a sighting loaded since the last complete build; their newest
-- phone is the newer of the one on record and the new sightings.
{{ config(materialized='incremental', unique_key='user_id') }}

{#- Where a user id is seen with a phone: (model, its phone column, when it was seen). #}
{%- set seen_in = [
    ('stg_segment__identifies', 'phone', 'occurred_at'),
    ('int_consent_records', 'phone', 'effective_at'),
] %}
{%- for model_name in [
    'stg_regal_voice__task_created',
    'stg_regal_voice__task_reservation_created',
    'stg_regal_voice__task_reservation_accepted',
    'stg_regal_voice__task_canceled',
    'stg_regal_voice__call_placed',
    'stg_regal_voice__call_wrapup',
    'stg_regal_voice__call_completed',
    'stg_regal_voice__sms_conversation_completed',
    'stg_regal_voice__contact_experiment_assigned',
    'stg_regal_voice__scheduled_callback_requested',
] %}
    {%- do seen_in.append((model_name, 'contact_phone', 'occurred_at')) %}
{%- endfor %}

with new_sightings as (
    {%- for model_name, phone, seen_at in seen_in %}
        select
            user_id,
            {{ phone }} as phone,
            {{ seen_at }} as seen_at,
            message_id
        from {{ ref(model_name) }}
        where user_id is not null and {{ phone }} is not null and {{ new_rows_only() }}
        {{ "union all" if not loop.last }}
    {%- endfor %}
),

sightings as (
    select * from new_sightings
    {%- if is_incremental() %}
        union all
        select
            user_id,
            phone,
            seen_at,
            message_id
        from {{ this }}
        where user_id in (select new_sightings.user_id from new_sightings)
    {%- endif %}
),

newest as (
    {{ first_row_per('sightings', 'user_id', 'seen_at desc, message_id desc', condition='seen_at is not null') }}
)

select
    user_id,
    phone,
    seen_at,
    message_id,
    {{ build_time() }} as refreshed_at
from newest
