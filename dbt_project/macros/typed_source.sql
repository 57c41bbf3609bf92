{#-
    Select `columns` (name -> DuckDB type) from a raw loader table, typed.

    Why: the loader keeps a column's first type and puts values that cannot be cast losslessly in
    dlt-style variant columns (`talk_time__v_text`). Which of the two exists, and whether the
    table exists at all, depends on the archive. Staging therefore asks the warehouse what is
    there and coalesces every variant, so a model never fails on a brand-new event mix and never
    drops a value that arrived as text. A missing column or table yields typed nulls / no rows.

    No deduplication here: the loader merges every raw table on `id`, so each message id is
    there once (tested on the source). A window over the whole table would also keep filters
    on `uuid_ts` from reaching the scan, and every incremental build would read all history.
-#}
{% macro typed_source(source_name, table_name, columns) -%}
    {{ typed_relation(source(source_name, table_name), columns) }}
{%- endmacro %}


{#- `typed_source` of one raw table: `relation`, a source or a relation in any schema. -#}
{% macro typed_relation(relation, columns) -%}
    {%- set typed = segment_envelope_columns() -%}
    {%- do typed.update(columns) -%}
    {%- set found = namespace(exists=true, names=[], floats=[]) -%}
    {#- Unit-test fixtures are CTEs that cannot be introspected; they carry the declared columns. -#}
    {%- set unit_test = model.resource_type == 'unit_test' -%}
    {%- if execute and not unit_test -%}
        {%- set existing = adapter.get_relation(
            database=relation.database, schema=relation.schema, identifier=relation.identifier
        ) -%}
        {%- if existing is none -%}
            {%- set found.exists = false -%}
        {%- else -%}
            {%- for column in adapter.get_columns_in_relation(existing) -%}
                {%- do found.names.append(column.name) -%}
                {%- if column.is_float() -%}{%- do found.floats.append(column.name) -%}{%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    select
    {%- for name, data_type in typed.items() %}
        {{ coalesce_variants(name, data_type, none if unit_test else found.names, found.floats) }} as {{ adapter.quote(name) }}
        {{- "," if not loop.last }}
    {%- endfor %}
    {%- if found.exists %}
    from {{ relation }}
    {%- else %}
    -- {{ relation }} does not exist yet: no such event has been loaded.
    where false
    {%- endif %}
{%- endmacro %}


{#-
    `typed_source` of one table of every brand source, unioned, with the schema it came from
    in `source`. Why: a brand has several Segment sources (web, iOS, backend), each in its own
    schema as Segment's warehouses keep them, and identity and consent need all of them. The
    schemas are found at run time (`brand_schemas()`), so a source added later is read
    without editing SQL; a source that lacks the table adds no rows.

    The declared `brand` source stands for all of them: it draws the lineage in the docs,
    and unit tests give it as their fixture.
-#}
{% macro typed_brand_source(table_name, columns) -%}
    {%- set declared = source('brand', table_name) -%}
    {%- set fixture = model.resource_type == 'unit_test' or not execute -%}
    {#- No brand source yet: the `segment` schema, which then does not exist either, gives
        typed columns and no rows. -#}
    {%- set schemas = [var('segment_schema')] if fixture else (brand_schemas() or [var('segment_schema')]) -%}
    {%- for schema in schemas %}
        {%- set relation = declared if fixture else api.Relation.create(
            database=declared.database, schema=schema, identifier=table_name) %}
    select '{{ schema }}' as source, typed.*
    from ({{ typed_relation(relation, columns) }}) as typed
    {{- "\n    union all" if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#- The schemas of the brand's Segment sources: the `brand_schemas` var when set (a warehouse
    Segment loads, where no loader registers anything), else every brand source the loader
    registered in `ops.sources`, else the `segment_schema` var. -#}
{% macro brand_schemas() -%}
    {%- set configured = var('brand_schemas', []) -%}
    {%- if configured | length > 0 -%}
        {{ return(configured) }}
    {%- endif -%}
    {%- set registry = adapter.get_relation(database=target.database, schema='ops', identifier='sources') -%}
    {%- if registry is none -%}
        {{ return([var('segment_schema')]) }}
    {%- endif -%}
    {%- set rows = run_query("select name from " ~ registry ~ " where kind = 'brand' order by name").rows -%}
    {{ return(rows | map(attribute=0) | list) }}
{%- endmacro %}


{#- One typed expression for `name`: the column and its variants, or a typed null when the
    table has neither. `available` is none when the columns could not be introspected
    (unit tests, whose fixtures carry exactly the declared columns); `floats` names the
    floating-point ones, whose numbers read as text as they were sent (`number_text`). -#}
{% macro coalesce_variants(name, data_type, available, floats=[]) -%}
    {%- if available is none -%}
        {%- set present = [name] -%}
    {%- else -%}
        {%- set present = [] -%}
        {%- if name in available -%}{%- do present.append(name) -%}{%- endif -%}
        {%- for column in available | sort -%}
            {%- if column.startswith(name ~ '__v_') -%}{%- do present.append(column) -%}{%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set typed = [] -%}
    {%- for column in present -%}
        {%- if data_type == 'varchar' and column in floats -%}
            {%- do typed.append(number_text(adapter.quote(column))) -%}
        {%- else -%}
            {%- do typed.append(try_to(adapter.quote(column), data_type)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if typed | length == 0 -%}
        cast(null as {{ sql_type(data_type) }})
    {%- elif typed | length == 1 -%}
        {{ typed[0] }}
    {%- else -%}
        coalesce({{ typed | join(', ') }})
    {%- endif -%}
{%- endmacro %}


{#- The columns every Segment warehouse table has (Segment's warehouse schema docs). -#}
{% macro segment_envelope_columns() -%}
    {{ return({
        'id': 'varchar',
        'user_id': 'varchar',
        'anonymous_id': 'varchar',
        'timestamp': 'timestamptz',
        'received_at': 'timestamptz',
        'uuid_ts': 'timestamptz',
    }) }}
{%- endmacro %}


{#- The names of a raw table's columns, variants folded into their column
    (`x__v_text` -> `x`), sorted; none when the table does not exist. Why: some events carry
    payloads whose keys are data (`contact.attribute.edited` flattens `changes.<attribute>`
    into columns), so a model finds them in the warehouse instead of naming them. Unit-test
    fixtures cannot be read: there the `unit_test_raw_columns` var gives the names. -#}
{% macro raw_column_names(relation) -%}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        {{ return(var('unit_test_raw_columns', [])) }}
    {%- endif -%}
    {%- set existing = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier
    ) -%}
    {%- set names = [] -%}
    {%- if existing is not none -%}
        {%- for column in adapter.get_columns_in_relation(existing) -%}
            {%- set name = column.name.split('__v_')[0] -%}
            {%- if name not in names -%}{%- do names.append(name) -%}{%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(names | sort) }}
{%- endmacro %}
