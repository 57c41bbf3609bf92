{#- Custom schemas are used as-is (`analytics`, not `main_analytics`): analysts query
    `analytics.fct_calls`, the name the README and the contracts promise. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name else target.schema }}
{%- endmacro %}
