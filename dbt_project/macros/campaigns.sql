{#- The reporting days agg_campaign_daily recomputes: the days of the calls fct_calls
    recomputed this build, of the texts sent or undelivered loaded since the last build, of the
    conversions fct_conversions recomputed, and those a forget touched. A query of one column,
    `activity_date`; every ref outside the incremental branch (dbt records them while parsing). -#}
{% macro campaign_days_touched() -%}
    {%- set calls, conversions = ref('fct_calls'), ref('fct_conversions') -%}
    {%- set sent, undelivered = ref('stg_regal_voice__sms_sent'), ref('stg_regal_voice__sms_undelivered') -%}
    select {{ reporting_date('started_at') }} as activity_date from {{ calls }}
    where refreshed_at = {{ build_time() }}
    union
    select {{ reporting_date('occurred_at') }} from {{ sent }} where {{ loaded_since_last_build() }}
    union
    select {{ reporting_date('occurred_at') }} from {{ undelivered }} where {{ loaded_since_last_build() }}
    union
    select {{ reporting_date('converted_at') }} from {{ conversions }}
    where refreshed_at = {{ build_time() }}
    {%- for day in var('forgotten_days', []) %}
        union
        select cast('{{ day }}' as date)
    {%- endfor %}
{%- endmacro %}


{#- agg_campaign_daily's pre_hook: delete the days it recomputes. -#}
{% macro delete_campaign_days() -%}
    {%- set touched = campaign_days_touched() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where activity_date in ({{ touched }})
    {%- endif -%}
{%- endmacro %}


{#- A row's day and campaign are among those this build recomputes. -#}
{% macro on_campaign_days(time_column) -%}
    {%- set touched = campaign_days_touched() -%}
    {%- if is_incremental() -%}
        {{ reporting_date(time_column) }} in ({{ touched }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
