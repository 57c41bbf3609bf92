-- Phones with an experiment assignment loaded since the last complete build: their
-- assignments are summed again.
select distinct contact_phone
from {{ ref('stg_regal_voice__contact_experiment_assigned') }}
where
    contact_phone is not null
    and {{ loaded_since_last_build() }}
