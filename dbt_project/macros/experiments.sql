{#- The experiments whose results this build must compute again: those with an assignment
    recomputed in this build, or an assigned contact with a conversion recomputed in it, or
    one a forget request touched (the `forgotten_experiments` var).
    Used by agg_experiment_results, in its pre_hook and its body. -#}
{% macro experiments_touched_this_build() -%}
    select assignments.experiment_id
    from {{ ref('fct_experiment_assignments') }} as assignments
    where assignments.refreshed_at = {{ build_time() }}
    union
    select assignments.experiment_id
    from {{ ref('fct_experiment_assignments') }} as assignments
    inner join {{ ref('fct_conversions') }} as conversions
        on assignments.contact_phone = conversions.contact_phone
    where conversions.refreshed_at = {{ build_time() }}
    {%- for experiment_id in var('forgotten_experiments', []) %}
    union
    select '{{ experiment_id | replace("'", "''") }}'
    {%- endfor %}
{%- endmacro %}
