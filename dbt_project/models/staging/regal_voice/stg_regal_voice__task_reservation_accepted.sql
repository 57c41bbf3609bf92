{#- Regal's catalog names the agent `reserved_agent_email` (the agent the reservation is for);
    other payloads send `agent_email`. Both are staged; the task event log takes either. -#}
{{ stage_task_event('task_reservation_accepted', {'agent_email': 'varchar', 'reserved_agent_email': 'varchar'}) }}
