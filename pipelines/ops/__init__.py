"""The ``ops`` schema: the run log, the source registry, the forget audit and the analysts'
copy's record; their DDL (``schema``), the upgrades of older warehouses (``migrations``) and
the catalog questions every engine answers alike (``catalog``)."""
