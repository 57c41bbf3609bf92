{#- Regal's "UTC timestamps" are Unix epoch seconds, as integers or as strings; a value above
    1e11 can only be milliseconds. ISO-8601 text is accepted too, so a payload change upstream
    degrades to a parsed value, not a null. -#}
{% macro epoch_to_timestamp(expression) -%}
    {%- set number = try_to(expression, 'double') %}
    coalesce(
        case
            when {{ number }} > 1e11
                then {{ timestamp_from_epoch(number ~ ' / 1000') }}
            else {{ timestamp_from_epoch(number) }}
        end,
        {{ try_to('cast(' ~ expression ~ ' as ' ~ sql_type('varchar') ~ ')', 'timestamptz') }}
    )
{%- endmacro %}


{#- Whole seconds from one timestamp to another, by epoch arithmetic (never by counting
    minute or second boundaries, which is what date_diff does). -#}
{% macro seconds_between(started, ended) -%}
    cast(round({{ epoch_seconds(ended) }} - {{ epoch_seconds(started) }}) as bigint)
{%- endmacro %}


{#- A duration Regal reported, as integer seconds whether it arrived as a number or as text. -#}
{% macro reported_seconds(expression) -%}
    cast(round({{ try_to(expression, 'double') }}) as bigint)
{%- endmacro %}


{#- A phone number in E.164 (`+1 (917) 555-4444` -> `+19175554444`). National numbers of
    10 digits (written without a leading `+`) get the `default_country_code` var; anything
    that cannot be a phone number (fewer than 8 or more than 15 digits) becomes null rather
    than a wrong key. The leading `+` is looked for among digits and `+` only: the engines'
    `trim` differ (DuckDB's also drops non-breaking spaces). pipelines/privacy/identifiers.py
    holds the loader's twin of this macro; a property-based test keeps them equal. -#}
{% macro phone_e164(expression) -%}
    {%- set digits = replace_all(expression, '[^0-9]', '') -%}
    {%- set signed = replace_all(expression, '[^0-9+]', '') -%}
    case
        when length({{ digits }}) = 10 and not {{ signed }} like '+%'
            then '+{{ var("default_country_code") }}' || {{ digits }}
        when length({{ digits }}) between 8 and 15
            then '+' || {{ digits }}
    end
{%- endmacro %}


{#- The calendar day of a timestamp in the `reporting_timezone` var. -#}
{% macro reporting_date(expression) -%}
    cast({{ local_time_in(var("reporting_timezone"), expression) }} as date)
{%- endmacro %}


{#- A local time with its UTC offset, as Regal writes `callback_timestamp`
    (`2022-07-13 14:00:00 -07:00`): the instant it names. DuckDB reads no space before the
    offset, so it is closed up first; epoch numbers and ISO-8601 text are read as well. -#}
{% macro local_time_to_timestamp(expression) -%}
    {{ epoch_to_timestamp(replace_all('cast(' ~ expression ~ ' as ' ~ sql_type('varchar') ~ ')', '\\s+([+-][0-9]{1,2}(:?[0-9]{2})?)\\s*$', '\\1')) }}
{%- endmacro %}


{#- A floating-point number as the decimal text it was sent as: JSON's `120000` and `95000.5`
    in one column make it DOUBLE, where DuckDB writes the first `120000.0` and PostgreSQL
    `120000`. Whole numbers lose the `.0` on both engines (within bigint's range), others
    keep the engine's shortest exact text. -#}
{% macro number_text(expression) -%}
    case
        when {{ expression }} = floor({{ expression }}) and abs({{ expression }}) < 1e15
            then cast(cast({{ expression }} as bigint) as {{ sql_type('varchar') }})
        else cast({{ expression }} as {{ sql_type('varchar') }})
    end
{%- endmacro %}


{#- Whether a wall-clock time falls in the calling window: `calling_window_start` <= time of
    day < `calling_window_end` (vars, HH:MM); null when the time is. Whole minutes of the day
    compare exactly against HH:MM bounds (20:59:59.9 is before 21:00). -#}
{% macro within_calling_window(local_time) -%}
    {%- set bounds = [] -%}
    {%- for name in ['calling_window_start', 'calling_window_end'] -%}
        {%- set text = var(name) | string -%}
        {%- set parts = text.split(':') -%}
        {%- if parts | length != 2 or not parts[0].isdigit() or not parts[1].isdigit()
            or parts[0] | int > 24 or parts[1] | int > 59 -%}
            {{ exceptions.raise_compiler_error(
                "the " ~ name ~ " var is '" ~ text ~ "': give a time of day as HH:MM, e.g. 08:00"
            ) }}
        {%- endif -%}
        {%- do bounds.append(parts[0] | int * 60 + parts[1] | int) -%}
    {%- endfor -%}
    {%- if bounds[0] >= bounds[1] -%}
        {{ exceptions.raise_compiler_error(
            "calling_window_start (" ~ var('calling_window_start') ~ ") must come before"
            ~ " calling_window_end (" ~ var('calling_window_end') ~ ")"
        ) }}
    {%- endif -%}
    {%- set minute_of_day = "(extract(hour from " ~ local_time ~ ") * 60 + extract(minute from "
        ~ local_time ~ "))" -%}
    ({{ minute_of_day }} >= {{ bounds[0] }} and {{ minute_of_day }} < {{ bounds[1] }})
{%- endmacro %}
