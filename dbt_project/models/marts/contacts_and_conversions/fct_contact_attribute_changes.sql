-- What agents changed on contacts: one row per attribute per `contact.attribute.edited`
-- message, with the value before and after.
-- Incremental: the edits loaded since the last complete build (an edit never changes later).
{{ config(unique_key=['message_id', 'attribute']) }}

with edits as (
    select * from {{ ref('int_contact_attribute_changes') }}
    where {{ new_rows_only() }}
),

final as (
    select
        message_id,
        contact_phone,
        attribute,  -- noqa: RF04
        old_value,
        new_value,
        changed_by,
        changed_at,
        {{ build_time() }} as refreshed_at
    from edits
)

select * from final
