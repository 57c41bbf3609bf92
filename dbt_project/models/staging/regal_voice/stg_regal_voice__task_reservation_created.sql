{{ stage_task_event('task_reservation_created', {
    'reserved_agent_email': 'varchar',
    'reserved_agent_full_name': 'varchar',
}) }}
