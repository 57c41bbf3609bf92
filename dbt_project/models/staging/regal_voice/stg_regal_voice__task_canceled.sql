{{ stage_task_event('task_canceled', {
    'cancelation_reason': 'varchar',
    'cancelation_source': 'varchar',
    'canceled_by': 'varchar',
}) }}
