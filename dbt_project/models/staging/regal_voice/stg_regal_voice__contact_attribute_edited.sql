-- `contact.attribute.edited`, one row per attribute a message changed. Segment's layout
-- flattens `changes` into `changes_<attribute>_old_value` / `…_new_value` columns, one pair
-- per attribute ever edited (`custom_properties_annual_income`, `first_name`): the pairs are
-- found in the warehouse when the model compiles, so a new attribute needs no SQL. A column
-- the loader has not created (every value so far null) reads as null.
{%- set relation = source('regal_voice', 'contact_attribute_edited') %}
{%- set attributes = [] %}
{%- for name in raw_column_names(relation) %}
    {%- set pair = modules.re.fullmatch('changes_(.+)_(old|new)_value', name) %}
    {%- if pair and pair.group(1) not in attributes %}
        {%- do attributes.append(pair.group(1)) %}
    {%- endif %}
{%- endfor %}
{%- set columns = {
    'contact_phone': 'varchar',
    'phone': 'varchar',
    'agent_email': 'varchar',
    'created_at': 'varchar',
} %}
{%- for attribute in attributes %}
    {%- do columns.update({
        'changes_' ~ attribute ~ '_old_value': 'varchar',
        'changes_' ~ attribute ~ '_new_value': 'varchar',
    }) %}
{%- endfor %}

with source as (
    {{ typed_source('regal_voice', 'contact_attribute_edited', columns) }}
),

edits as (
    select
        {{ staged_envelope() }},
        {{ contact_phone() }} as contact_phone,
        lower(agent_email) as changed_by,
        {{ epoch_to_timestamp('created_at') }} as created_at,
        {%- for attribute in attributes %}
            changes_{{ attribute }}_old_value,
            changes_{{ attribute }}_new_value,
        {%- endfor %}
        true as is_edit
    from source
),

changes as (
    {%- for attribute in attributes %}
        select
            message_id,
            user_id,
            occurred_at,
            received_at,
            loaded_at,
            contact_phone,
            changed_by,
            coalesce(created_at, occurred_at) as changed_at,
            '{{ attribute }}' as attribute,  -- noqa: RF04
            changes_{{ attribute }}_old_value as old_value,
            changes_{{ attribute }}_new_value as new_value
        from edits
        where changes_{{ attribute }}_old_value is not null or changes_{{ attribute }}_new_value is not null
        union all
    {%- endfor %}
    -- Typed columns, no rows: an edit of no attribute (or none loaded yet) adds nothing.
    select
        message_id,
        user_id,
        occurred_at,
        received_at,
        loaded_at,
        contact_phone,
        changed_by,
        coalesce(created_at, occurred_at) as changed_at,
        cast(null as varchar) as attribute,  -- noqa: RF04
        cast(null as varchar) as old_value,
        cast(null as varchar) as new_value
    from edits
    where not is_edit
)

select * from changes
