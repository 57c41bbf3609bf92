-- Users with an identify loaded since the last complete build: their identifies are unnested
-- again (an identify without a phone takes the user's latest phone) and every phone they ever
-- identified with is touched.
select distinct user_id
from {{ ref('stg_segment__identifies') }}
where user_id is not null and {{ loaded_since_last_build() }}
