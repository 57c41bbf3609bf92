{{ stage_task_event('call_placed', {'call_id': 'varchar'}) }}
