-- One row per attribute a `contact.attribute.edited` message changed: the staging model's
-- `changes_<attribute>_old_value` / `…_new_value` pairs, found when the model compiles,
-- unpivoted. An attribute neither of whose values the message names did not change.
{%- set staged = ref('stg_regal_voice__contact_attribute_edited') %}
{%- set attributes = [] %}
{%- for name in raw_column_names(staged) %}
    {%- set pair = modules.re.fullmatch('changes_(.+)_(old|new)_value', name) %}
    {%- if pair and pair.group(1) not in attributes %}
        {%- do attributes.append(pair.group(1)) %}
    {%- endif %}
{%- endfor %}

with edits as (
    select * from {{ staged }}
),

-- One branch per attribute; with none yet, one branch of typed columns and no rows.
changes as (
    {%- for attribute in attributes or [none] %}
        {%- set old_value = 'changes_' ~ attribute ~ '_old_value' if attribute else 'cast(null as ' ~ sql_type('varchar') ~ ')' %}
        {%- set new_value = 'changes_' ~ attribute ~ '_new_value' if attribute else 'cast(null as ' ~ sql_type('varchar') ~ ')' %}
        select
            message_id,
            user_id,
            occurred_at,
            received_at,
            loaded_at,
            contact_phone,
            changed_by,
            changed_at,
            {{ "'" ~ attribute ~ "'" if attribute else 'cast(null as ' ~ sql_type('varchar') ~ ')' }} as attribute,  -- noqa: RF04
            {{ old_value }} as old_value,
            {{ new_value }} as new_value
        from edits
        where {{ old_value ~ ' is not null or ' ~ new_value ~ ' is not null' if attribute else 'false' }}
        {{ "union all" if not loop.last }}
    {%- endfor %}
)

select * from changes
