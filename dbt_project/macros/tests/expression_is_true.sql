{#- Fails on every row where `expression` is not true (null counts as a failure), e.g.
    `talk_time_s + wrap_time_s = handle_time_s`; `where` narrows the rows checked. -#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% endtest %}
