"""Transform: ``dbt build`` of as much as new data and the models need (``build``), and what
the loader reads of the dbt project (``project``)."""
