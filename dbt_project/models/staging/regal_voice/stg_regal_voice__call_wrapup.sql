{{ stage_task_event('call_wrapup', {'call_id': 'varchar'}) }}
