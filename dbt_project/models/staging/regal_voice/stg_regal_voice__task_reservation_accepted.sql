{{ stage_task_event('task_reservation_accepted', {'agent_email': 'varchar'}) }}
