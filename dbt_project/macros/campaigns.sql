{#- The reporting days agg_campaign_daily recomputes: the days of the calls fct_calls
    recomputed this build, of the texts sent or undelivered loaded since the last build, and of
    the conversions fct_conversions recomputed (`on_days` adds the forgotten ones). A query of
    one column; every ref outside the incremental branch (dbt records them while parsing). -#}
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
{%- endmacro %}
