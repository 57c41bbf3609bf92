{#- Fails on every interval that starts before the previous one of the same partition ends.
    `valid_to` null means "still open", so an open interval followed by another also fails. -#}
{% test intervals_do_not_overlap(model, partition_by, valid_from, valid_to) %}
with ordered as (
    select
        *,
        lag({{ valid_to }}) over (
            partition by {{ partition_by | join(', ') }} order by {{ valid_from }}
        ) as previous_valid_to,
        row_number() over (
            partition by {{ partition_by | join(', ') }} order by {{ valid_from }}
        ) as position
    from {{ model }}
)

select *
from ordered
where position > 1 and (previous_valid_to is null or previous_valid_to > {{ valid_from }})
{% endtest %}
