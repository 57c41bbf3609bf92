-- Tasks with an event loaded since the last complete build: the tasks whose lifecycle, events
-- and handle time the incremental marts recompute (late and re-sent events included).
select distinct task_id
from {{ ref('int_task_events') }}
where {{ loaded_since_last_build() }}
