-- `contact.attribute.edited`, one row per message, typed and renamed. Segment's layout
-- flattens `changes` into `changes_<attribute>_old_value` / `…_new_value` columns, one pair
-- per attribute ever edited (`custom_properties_annual_income`, `first_name`): the pairs are
-- found in the warehouse when the model compiles and kept as text, both of each pair (a column
-- the loader has not created, every value so far null, reads as null), so a new attribute
-- needs no SQL; int_contact_attribute_changes turns them into one row per attribute.
{%- set relation = source('regal_voice', 'contact_attribute_edited') %}
{%- set pairs = [] %}
{%- for name in raw_column_names(relation) %}
    {%- set pair = modules.re.fullmatch('changes_(.+)_(old|new)_value', name) %}
    {%- if pair and ('changes_' ~ pair.group(1) ~ '_old_value') not in pairs %}
        {%- do pairs.append('changes_' ~ pair.group(1) ~ '_old_value') %}
        {%- do pairs.append('changes_' ~ pair.group(1) ~ '_new_value') %}
    {%- endif %}
{%- endfor %}
{%- set columns = {
    'contact_phone': 'varchar',
    'phone': 'varchar',
    'agent_email': 'varchar',
    'created_at': 'varchar',
} %}
{%- for name in pairs %}
    {%- do columns.update({name: 'varchar'}) %}
{%- endfor %}

with source as (
    {{ typed_source('regal_voice', 'contact_attribute_edited', columns) }}
),

renamed as (
    select
        {{ staged_envelope() }},
        {{ contact_phone() }} as contact_phone,
        lower(agent_email) as changed_by,
        {%- for name in pairs %}
            {{ name }},
        {%- endfor %}
        {{ epoch_to_timestamp('created_at') }} as created_at
    from source
),

final as (
    select
        message_id,
        user_id,
        occurred_at,
        received_at,
        loaded_at,
        contact_phone,
        changed_by,
        {%- for name in pairs %}
            {{ name }},
        {%- endfor %}
        coalesce(created_at, occurred_at) as changed_at
    from renamed
)

select * from final
