{#- Fails for every partition that does not have exactly one row flagged current. -#}
{% test exactly_one_current_row(model, partition_by, current_flag) %}
select {{ partition_by | join(', ') }}, count(*) filter (where {{ current_flag }}) as current_rows
from {{ model }}
group by {{ partition_by | join(', ') }}
having count(*) filter (where {{ current_flag }}) <> 1
{% endtest %}
