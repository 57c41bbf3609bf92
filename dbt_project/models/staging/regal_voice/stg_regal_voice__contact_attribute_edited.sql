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
        {%- for attribute in attributes %}
            changes_{{ attribute }}_old_value,
            changes_{{ attribute }}_new_value,
        {%- endfor %}
        {{ epoch_to_timestamp('created_at') }} as created_at
    from source
),

-- One branch per attribute; with none yet, one branch of typed columns and no rows.
changes as (
    {%- for attribute in attributes or [none] %}
        {%- set old_value = 'changes_' ~ attribute ~ '_old_value' if attribute else 'cast(null as varchar)' %}
        {%- set new_value = 'changes_' ~ attribute ~ '_new_value' if attribute else 'cast(null as varchar)' %}
        select
            message_id,
            user_id,
            occurred_at,
            received_at,
            loaded_at,
            contact_phone,
            changed_by,
            coalesce(created_at, occurred_at) as changed_at,
            {{ "'" ~ attribute ~ "'" if attribute else 'cast(null as varchar)' }} as attribute,  -- noqa: RF04
            {{ old_value }} as old_value,
            {{ new_value }} as new_value
        from edits
        where {{ old_value ~ ' is not null or ' ~ new_value ~ ' is not null' if attribute else 'false' }}
        {{ "union all" if not loop.last }}
    {%- endfor %}
)

select * from changes
