{#-
    SQL that differs between the engines the models run on (DuckDB, PostgreSQL, Spark),
    dispatched with adapter.dispatch: one model, one code path, and a second implementation
    only where the dialects truly differ. The DuckDB implementations are the SQL the models
    always ran. The models name types as DuckDB does (`varchar`, `timestamptz`, `float8`);
    `sql_type` gives each engine's name for them.
-#}


{#- The engine's name of a type the models and contracts name (DuckDB's names). -#}
{% macro sql_type(data_type) -%}
    {{ return(adapter.dispatch('sql_type', 'regal_voice_warehouse')(data_type)) }}
{%- endmacro %}

{% macro default__sql_type(data_type) -%}
    {{ return(data_type) }}
{%- endmacro %}

{#- Spark's TIMESTAMP is an instant (shown in the session's zone, UTC), as a TIMESTAMPTZ. -#}
{% macro spark__sql_type(data_type) -%}
    {%- set names = {
        'varchar': 'string', 'text': 'string', 'timestamptz': 'timestamp',
        'timestamp with time zone': 'timestamp', 'float8': 'double',
        'double precision': 'double', 'integer': 'int', 'json': 'string',
        'timestamp without time zone': 'timestamp_ntz',
    } -%}
    {{ return(names.get(data_type | lower | trim, data_type)) }}
{%- endmacro %}

{#- dbt's own casts (a contract's empty schema among them) in the engine's type names. -#}
{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ sql_type(type) }})
{%- endmacro %}


{#- `expression` as `data_type`, or null when it does not convert (DuckDB's try_cast): raw
    columns drift between types, and a value that does not fit must never fail a build. -#}
{% macro try_to(expression, data_type) -%}
    {{ return(adapter.dispatch('try_to', 'regal_voice_warehouse')(expression, data_type)) }}
{%- endmacro %}

{% macro default__try_to(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{#- PostgreSQL 15 has no try_cast (and no pg_input_is_valid): the text of the value must look
    like the type before it is cast. The patterns follow what DuckDB's try_cast accepts for
    the values Segment and Regal send: decimal and exponent numbers with surrounding spaces,
    true/false words, ISO-8601 instants. -#}
{% macro postgres__try_to(expression, data_type) -%}
    {%- set text = 'cast(' ~ expression ~ ' as text)' -%}
    {%- set kind = data_type | lower -%}
    {%- if kind in ('varchar', 'text') -%}
        {{ text }}
    {%- elif kind in ('double', 'double precision', 'float', 'float8') -%}
        case when {{ text }} ~ '^\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$'
            then cast({{ text }} as double precision) end
    {%- elif kind in ('bigint', 'integer', 'int') -%}
        case when {{ text }} ~ '^\s*[-+]?[0-9]{1,18}(\.[0-9]*)?\s*$'
            then cast(round(cast({{ text }} as numeric)) as bigint) end
    {%- elif kind == 'boolean' -%}
        case lower(trim({{ text }}))
            when 'true' then true when 't' then true when 'yes' then true when 'y' then true
            when '1' then true
            when 'false' then false when 'f' then false when 'no' then false when 'n' then false
            when '0' then false
        end
    {%- elif kind in ('timestamptz', 'timestamp with time zone') -%}
        {#- The pattern checks ranges; then the day is checked against its month (30 February
            matches the pattern and fails the cast), in a nested case, the one construct whose
            order of evaluation PostgreSQL guarantees. -#}
        {%- set day = 'ltrim(' ~ text ~ ')' -%}
        case when {{ text }} ~ '^\s*(?!0000)[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?)?\s*(Z|[+-](0[0-9]|1[0-5])(:?[0-5][0-9])?)?\s*$'
            then case when cast(substr({{ day }}, 9, 2) as integer) <= extract(day from
                    make_date(cast(substr({{ day }}, 1, 4) as integer), cast(substr({{ day }}, 6, 2) as integer), 1)
                    + interval '1 month' - interval '1 day')
                then cast({{ text }} as timestamptz) end
        end
    {%- else -%}
        cast({{ expression }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}


{#- Spark's casts return null for what does not convert (ANSI mode off, its default), but
    read more than DuckDB's: whole numbers are rounded (Spark would drop a fraction or give
    null) and instants must look like ISO-8601 (Spark also reads `2026` or `2026-1-5`). -#}
{% macro spark__try_to(expression, data_type) -%}
    {%- set kind = data_type | lower -%}
    {%- if kind in ('bigint', 'integer', 'int') -%}
        cast(round(cast({{ expression }} as decimal(38, 9))) as bigint)
    {%- elif kind in ('timestamptz', 'timestamp with time zone') -%}
        {%- set text = 'cast(' ~ expression ~ ' as string)' -%}
        case when {{ text }} rlike '^\\s*[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?)?\\s*(Z|[+-][0-9]{2}(:?[0-9]{2})?)?\\s*$'
            then cast({{ text }} as timestamp) end
    {%- else -%}
        cast({{ expression }} as {{ sql_type(data_type) }})
    {%- endif -%}
{%- endmacro %}


{#- Seconds since 1970-01-01 UTC of a timestamp, with fractions. -#}
{% macro epoch_seconds(expression) -%}
    {{ return(adapter.dispatch('epoch_seconds', 'regal_voice_warehouse')(expression)) }}
{%- endmacro %}

{% macro default__epoch_seconds(expression) -%}
    epoch({{ expression }})
{%- endmacro %}

{% macro postgres__epoch_seconds(expression) -%}
    extract(epoch from {{ expression }})
{%- endmacro %}

{% macro spark__epoch_seconds(expression) -%}
    (cast(unix_micros({{ expression }}) as double) / 1000000)
{%- endmacro %}


{#- The instant `seconds` (a double) after 1970-01-01 UTC. -#}
{% macro timestamp_from_epoch(seconds) -%}
    {{ return(adapter.dispatch('timestamp_from_epoch', 'regal_voice_warehouse')(seconds)) }}
{%- endmacro %}

{% macro default__timestamp_from_epoch(seconds) -%}
    to_timestamp({{ seconds }})
{%- endmacro %}

{% macro spark__timestamp_from_epoch(seconds) -%}
    timestamp_micros(cast(round(({{ seconds }}) * 1000000) as bigint))
{%- endmacro %}


{#- The wall-clock time in `zone` (an IANA name) of an instant, without a zone. -#}
{% macro local_time_in(zone, instant) -%}
    {{ return(adapter.dispatch('local_time_in', 'regal_voice_warehouse')(zone, instant)) }}
{%- endmacro %}

{% macro default__local_time_in(zone, instant) -%}
    {{ local_time_at("'" ~ zone ~ "'", instant) }}
{%- endmacro %}

{% macro spark__local_time_in(zone, instant) -%}
    from_utc_timestamp({{ instant }}, '{{ zone }}')
{%- endmacro %}


{#- The wall-clock time (a timestamp without zone) of `instant` in the zone a SQL expression
    names, row by row (an IANA name; null gives null). -#}
{% macro local_time_at(zone_expression, instant) -%}
    {{ return(adapter.dispatch('local_time_at', 'regal_voice_warehouse')(zone_expression, instant)) }}
{%- endmacro %}

{% macro default__local_time_at(zone_expression, instant) -%}
    timezone({{ zone_expression }}, {{ instant }})
{%- endmacro %}

{#- Spark's from_utc_timestamp gives the wall clock as an instant of the UTC session: as a
    TIMESTAMP_NTZ it is the wall clock itself. -#}
{% macro spark__local_time_at(zone_expression, instant) -%}
    cast(from_utc_timestamp({{ instant }}, {{ zone_expression }}) as timestamp_ntz)
{%- endmacro %}


{#- The instant a wall-clock time (a timestamp without zone) names in `zone`. -#}
{% macro instant_of_local(zone, local_time) -%}
    {{ return(adapter.dispatch('instant_of_local', 'regal_voice_warehouse')(zone, local_time)) }}
{%- endmacro %}

{% macro default__instant_of_local(zone, local_time) -%}
    timezone('{{ zone }}', {{ local_time }})
{%- endmacro %}

{% macro spark__instant_of_local(zone, local_time) -%}
    to_utc_timestamp({{ local_time }}, '{{ zone }}')
{%- endmacro %}


{#- Every match of `pattern` in `expression` replaced (`\\1` names the first group). -#}
{% macro replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('replace_all', 'regal_voice_warehouse')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{#- Java's regular expressions: every match is replaced, and a group is `$1`; Spark reads a
    backslash in a string literal as an escape, so the pattern's are doubled. -#}
{% macro spark__replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern | replace('\\', '\\\\') }}', '{{ replacement | replace('\\', '$') }}')
{%- endmacro %}


{#- The `value` of the row with the smallest `order_by` (DuckDB's arg_min), among rows where
    `condition` holds; rows whose value or order is null never count (as in DuckDB). -#}
{% macro first_by(value, order_by, condition=none) -%}
    {{ return(adapter.dispatch('first_by', 'regal_voice_warehouse')(value, order_by, condition, 'min')) }}
{%- endmacro %}

{#- The `value` of the row with the largest `order_by` (DuckDB's arg_max). -#}
{% macro last_by(value, order_by, condition=none) -%}
    {{ return(adapter.dispatch('first_by', 'regal_voice_warehouse')(value, order_by, condition, 'max')) }}
{%- endmacro %}

{% macro default__first_by(value, order_by, condition, which) -%}
    arg_{{ which }}({{ value }}, {{ order_by }})
    {%- if condition is not none %} filter (where {{ condition }}){% endif %}
{%- endmacro %}

{% macro spark__first_by(value, order_by, condition, which) -%}
    {{ which }}_by({{ value }}, {{ order_by }}) filter (
        where {{ value }} is not null and {{ order_by }} is not null
        {%- if condition is not none %} and ({{ condition }}){% endif %})
{%- endmacro %}

{% macro postgres__first_by(value, order_by, condition, which) -%}
    (array_agg({{ value }} order by {{ order_by }}{{ ' desc' if which == 'max' }}) filter (
        where {{ value }} is not null and {{ order_by }} is not null
        {%- if condition is not none %} and ({{ condition }}){% endif %}
    ))[1]
{%- endmacro %}


{#- One row per day from `first_day` to `last_day` (dates), as a set-returning select item. -#}
{% macro each_day(first_day, last_day) -%}
    {{ return(adapter.dispatch('each_day', 'regal_voice_warehouse')(first_day, last_day)) }}
{%- endmacro %}

{% macro default__each_day(first_day, last_day) -%}
    unnest(generate_series(
            {{ first_day }},
            {{ last_day }},
            interval '1 day'
        ))
{%- endmacro %}

{% macro spark__each_day(first_day, last_day) -%}
    explode(sequence({{ first_day }}, {{ last_day }}, interval 1 day))
{%- endmacro %}

{% macro postgres__each_day(first_day, last_day) -%}
    generate_series(
            cast({{ first_day }} as timestamp),
            cast({{ last_day }} as timestamp),
            interval '1 day'
        )
{%- endmacro %}


{#- The first row of each `partition_by` group of `relation` in `order_by` order, every column
    (plus the select items in `also`), among rows where `condition` holds. -#}
{% macro first_row_per(relation, partition_by, order_by, condition=none, also=none) -%}
    {{ return(adapter.dispatch('first_row_per', 'regal_voice_warehouse')(relation, partition_by, order_by, condition, also)) }}
{%- endmacro %}

{% macro default__first_row_per(relation, partition_by, order_by, condition, also) -%}
    select *{{ ', ' ~ also if also }}
    from {{ relation }}
    {%- if condition %}
    where {{ condition }}
    {%- endif %}
    qualify row_number() over (
            partition by {{ partition_by }} order by {{ order_by }}
        ) = 1
{%- endmacro %}

{#- Spark 3.5 has no QUALIFY: the row number is a column of its own, which follows the rows. -#}
{% macro spark__first_row_per(relation, partition_by, order_by, condition, also) -%}
    select * from (
        select *{{ ', ' ~ also if also }},
            row_number() over (partition by {{ partition_by }} order by {{ order_by }}) as row_number_in_group__
        from {{ relation }}
        {%- if condition %}
        where {{ condition }}
        {%- endif %}
    ) where row_number_in_group__ = 1
{%- endmacro %}

{% macro postgres__first_row_per(relation, partition_by, order_by, condition, also) -%}
    select distinct on ({{ partition_by }}) *{{ ', ' ~ also if also }}
    from {{ relation }}
    {%- if condition %}
    where {{ condition }}
    {%- endif %}
    order by {{ partition_by }}, {{ order_by }}
{%- endmacro %}


{#- Milliseconds since 1970-01-01 UTC of a timestamp, as a whole number (DuckDB's epoch_ms). -#}
{% macro epoch_milliseconds(expression) -%}
    {{ return(adapter.dispatch('epoch_milliseconds', 'regal_voice_warehouse')(expression)) }}
{%- endmacro %}

{% macro default__epoch_milliseconds(expression) -%}
    epoch_ms({{ expression }})
{%- endmacro %}

{% macro spark__epoch_milliseconds(expression) -%}
    unix_millis({{ expression }})
{%- endmacro %}

{% macro postgres__epoch_milliseconds(expression) -%}
    cast(floor(extract(epoch from {{ expression }}) * 1000) as bigint)
{%- endmacro %}


{#- JSON arrays kept as text (Segment's layout stores arrays as JSON text). -#}

{#- Whether `json_text` holds a JSON array. PostgreSQL 15 has no IS JSON: the text must
    start as an array; the loader writes these columns itself, as valid JSON. -#}
{% macro is_json_array(json_text) -%}
    {{ return(adapter.dispatch('is_json_array', 'regal_voice_warehouse')(json_text)) }}
{%- endmacro %}

{% macro default__is_json_array(json_text) -%}
    json_valid({{ json_text }})
        and json_type({{ json_text }}) = 'ARRAY'
{%- endmacro %}

{% macro spark__is_json_array(json_text) -%}
    json_array_length({{ json_text }}) is not null
{%- endmacro %}

{% macro postgres__is_json_array(json_text) -%}
    {{ json_text }} ~ '^\s*\['
{%- endmacro %}

{#- One row per element of the JSON array in `json_text`, as a set-returning select item. -#}
{% macro json_array_elements_of(json_text) -%}
    {{ return(adapter.dispatch('json_array_elements_of', 'regal_voice_warehouse')(json_text)) }}
{%- endmacro %}

{% macro default__json_array_elements_of(json_text) -%}
    unnest(cast(json_extract({{ json_text }}, '$[*]') as json[]))
{%- endmacro %}

{#- Each element as JSON text (an object stays an object's text). -#}
{% macro spark__json_array_elements_of(json_text) -%}
    explode(from_json({{ json_text }}, 'array<string>'))
{%- endmacro %}

{% macro postgres__json_array_elements_of(json_text) -%}
    jsonb_array_elements(cast({{ json_text }} as jsonb))
{%- endmacro %}

{#- The text of `key` of a JSON object (null when absent). -#}
{% macro json_text_of(json_value, key) -%}
    {{ return(adapter.dispatch('json_text_of', 'regal_voice_warehouse')(json_value, key)) }}
{%- endmacro %}

{% macro default__json_text_of(json_value, key) -%}
    json_extract_string({{ json_value }}, '$.{{ key }}')
{%- endmacro %}

{% macro spark__json_text_of(json_value, key) -%}
    get_json_object({{ json_value }}, '$.{{ key }}')
{%- endmacro %}

{% macro postgres__json_text_of(json_value, key) -%}
    ({{ json_value }} ->> '{{ key }}')
{%- endmacro %}


{#- The 8-byte floating-point type: `double` in DuckDB, `double precision` in PostgreSQL. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'regal_voice_warehouse')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}

{% macro postgres__type_double() -%}
    double precision
{%- endmacro %}


{#- `numerator / denominator` as a fraction (null when the denominator is 0): DuckDB divides
    integers into a double, PostgreSQL would truncate them. -#}
{% macro ratio(numerator, denominator) -%}
    cast({{ numerator }} as {{ type_double() }}) / nullif({{ denominator }}, 0)
{%- endmacro %}


{#- The mean of `expression` (among rows where `condition` holds) as a double: PostgreSQL's
    avg of integers is a numeric. -#}
{% macro mean(expression, condition=none) -%}
    cast(avg({{ expression }}){% if condition is not none %} filter (where {{ condition }}){% endif %} as {{ type_double() }})
{%- endmacro %}


{#- The continuous `fraction` percentile of `expression` (interpolated between the two nearest
    values, as percentile_cont), as a double. -#}
{% macro percentile(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile', 'regal_voice_warehouse')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile(expression, fraction) -%}
    cast(percentile_cont({{ fraction }}) within group (order by {{ expression }}) as {{ type_double() }})
{%- endmacro %}

{#- Spark's `percentile` is exact and interpolates as percentile_cont does. -#}
{% macro spark__percentile(expression, fraction) -%}
    cast(percentile({{ expression }}, {{ fraction }}) as double)
{%- endmacro %}


{#- A timestamp as UTC text with microseconds and `+00`, to be read back exactly. -#}
{% macro utc_text(expression) -%}
    {{ return(adapter.dispatch('utc_text', 'regal_voice_warehouse')(expression)) }}
{%- endmacro %}

{% macro default__utc_text(expression) -%}
    strftime({{ expression }} at time zone 'UTC', '%Y-%m-%d %H:%M:%S.%f') || '+00'
{%- endmacro %}

{% macro spark__utc_text(expression) -%}
    date_format({{ expression }}, 'yyyy-MM-dd HH:mm:ss.SSSSSS') || '+00'
{%- endmacro %}

{% macro postgres__utc_text(expression) -%}
    to_char({{ expression }} at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'
{%- endmacro %}
