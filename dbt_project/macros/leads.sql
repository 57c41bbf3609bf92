{#- Every message that names a contact's phone, from every source, as rows of (phone, seen_at,
    loaded_at): a brand identify whose `phone` trait normalises to it, and every Regal Voice
    event naming it as the contact (`contact_phone` or `phone`; `to_number` of `sms.queued` and
    `sms.sent`, `from_number` of `sms.received`). `seen_at` is the event's own time. The one
    list of where a lead can first appear; fct_speed_to_lead reads it. -#}
{% macro phone_sightings() -%}
    {%- set sources = [
        ('stg_segment__identifies', 'phone'),
        ('stg_regal_voice__task_created', 'contact_phone'),
        ('stg_regal_voice__task_reservation_created', 'contact_phone'),
        ('stg_regal_voice__task_reservation_accepted', 'contact_phone'),
        ('stg_regal_voice__task_canceled', 'contact_phone'),
        ('stg_regal_voice__call_placed', 'contact_phone'),
        ('stg_regal_voice__call_completed', 'contact_phone'),
        ('stg_regal_voice__call_wrapup', 'contact_phone'),
        ('stg_regal_voice__sms_conversation_completed', 'contact_phone'),
        ('stg_regal_voice__contact_subscribed', 'phone'),
        ('stg_regal_voice__contact_unsubscribed', 'phone'),
        ('stg_regal_voice__contact_attribute_edited', 'contact_phone'),
        ('stg_regal_voice__contact_experiment_assigned', 'contact_phone'),
        ('stg_regal_voice__scheduled_callback_requested', 'contact_phone'),
        ('stg_regal_voice__sms_queued', 'to_number'),
        ('stg_regal_voice__sms_sent', 'to_number'),
        ('stg_regal_voice__sms_received', 'from_number'),
    ] -%}
    {%- for model, column in sources %}
        select
            {{ column }} as phone,
            occurred_at as seen_at,
            loaded_at
        from {{ ref(model) }}
        where {{ column }} is not null and occurred_at is not null
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}


{#- The reporting days agg_speed_to_lead_daily recomputes: those of the leads decided again
    this build (`on_days` adds those a forget touched), and those whose count of leads differs from
    fct_speed_to_lead's (a lead moved to an earlier day: its old day lost it). A query of one
    column, read before the model's rows replace those days. -#}
{% macro speed_to_lead_days() -%}
    {%- set leads = ref('fct_speed_to_lead') -%}
    select {{ reporting_date('lead_at') }} from {{ leads }} where refreshed_at = {{ build_time() }}
    union
    select recorded.activity_date
    from {{ this }} as recorded
    inner join (
        select
            {{ reporting_date('lead_at') }} as activity_date,
            count(*) as leads
        from {{ leads }}
        group by 1
    ) as current_leads
        on recorded.activity_date = current_leads.activity_date
    where current_leads.leads != recorded.leads
{%- endmacro %}


{#- pre_hook of agg_speed_to_lead_daily: delete the days no lead falls on any more. -#}
{% macro delete_speed_to_lead_days() -%}
    {%- set leads = ref('fct_speed_to_lead') -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where activity_date not in (select {{ reporting_date('lead_at') }} from {{ leads }})
    {%- endif -%}
{%- endmacro %}
