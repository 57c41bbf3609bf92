{#-
    SQL that differs between the engines the models run on (DuckDB, PostgreSQL), dispatched
    with adapter.dispatch: one model, one code path, and a second implementation only where the
    dialects truly differ. The DuckDB implementations are the SQL the models always ran.
-#}


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
        case when {{ text }} ~ '^\s*[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?)?\s*(Z|[+-][0-9]{2}(:?[0-9]{2})?)?\s*$'
            then cast({{ text }} as timestamptz) end
    {%- else -%}
        cast({{ expression }} as {{ data_type }})
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
