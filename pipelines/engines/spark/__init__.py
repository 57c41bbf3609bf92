"""An Apache Iceberg lake run by Apache Spark: ``WAREHOUSE=iceberg:<folder>``.

dlt writes the raw tables as Iceberg (its filesystem destination, through pyiceberg) at
``<lake>/<schema>/<table>/``; Spark registers them in its catalog after each load, keeps the
run log in ``<lake>/ops/`` and runs the models (dbt-spark, in this process's session, so the
lake's embedded metastore has one JVM). Any engine that reads Iceberg opens a table from the
newest file of its ``metadata/`` folder. ``SPARK_MASTER`` picks the cluster (``local[2]`` by
default, or ``spark://host:7077``).
"""

from __future__ import annotations

import logging
import os
import socket
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipelines.engines import Engine
from pipelines.engines.lockfile import LoadLock
from pipelines.engines.spark.merge import install as install_merge
from pipelines.engines.spark.session import (
    DEFAULT_MASTER,
    SPARK_FOLDER,
    java_version,
    spark_environment,
    spark_settings,
)
from pipelines.engines.spark.store import REMOTE_SCHEMES, SECRET_VARIABLES, LakeStore
from pipelines.errors import NoAnalystsCopy, NoWarehouse, WarehouseConfigError, WarehouseUnreachable
from pipelines.segment_archive.settings import FILES_TABLE
from pipelines.settings import DEFAULT_WAREHOUSE

log = logging.getLogger(__name__)

SCHEME = "iceberg:"


def check_master(master: str) -> None:
    """A standalone master (``spark://host:port``) answers, or the run stops before it starts:
    Spark itself would wait a minute for it and then hang without executors."""
    if not master.startswith("spark://"):
        return
    for address in master.removeprefix("spark://").split(","):
        host, _, port = address.rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=5):
                return
        except (OSError, ValueError):
            continue
    raise WarehouseUnreachable(
        f"Spark did not start on master {master}: nothing answers there; start the master "
        "(and its workers) or set SPARK_MASTER (default local[2])"
    )


@dataclass(frozen=True)
class IcebergLake(Engine):
    """A folder of Iceberg tables and the Spark that runs the models over it."""

    store: LakeStore
    home: Path  # Spark's own files (metastore, lock, dlt's working folder): always local
    master: str = DEFAULT_MASTER
    name = "spark"
    dbt_in_process = True  # dbt-spark's session method finds this process's session
    row_address = None  # Iceberg merges are idempotent per table commit: no copy repeats

    @classmethod
    def accepts(cls, setting: str) -> bool:
        return setting.startswith(SCHEME)

    @classmethod
    def from_setting(
        cls, setting: str, state_folder: Path | None = None, reach: bool = True
    ) -> IcebergLake:
        location = setting.removeprefix(SCHEME).removeprefix("file://")
        if "://" in location and not location.startswith(REMOTE_SCHEMES):
            raise WarehouseConfigError(
                f"WAREHOUSE={setting}: a lake is a local (or mounted) folder or an S3 prefix: "
                "iceberg:/path/to/lake or iceberg:s3://bucket/prefix"
            )
        if not location or location.rstrip("/") in ("s3:", "s3a:"):
            raise WarehouseConfigError(
                "WAREHOUSE=iceberg: names no lake: iceberg:/path/to/lake or iceberg:s3://bucket/prefix"
            )
        master = os.environ.get("SPARK_MASTER") or DEFAULT_MASTER
        store = LakeStore.at(location)
        if not store.is_remote:
            return cls(store, Path(store.location) / SPARK_FOLDER, master)
        # An S3 lake's metastore and lock cannot live in the bucket: beside dlt's state.
        place = store.location.removeprefix("s3://").replace("/", "-")
        return cls(store, (state_folder or DEFAULT_WAREHOUSE.parent) / f"spark-s3-{place}", master)

    def __str__(self) -> str:
        return f"{SCHEME}{self.store.location}"

    @property
    def lake(self) -> str:
        return self.store.location

    @property
    def is_new(self) -> bool:
        if self.store.is_remote:
            return not self.home.exists() and self._remote("list", self.store.is_empty)
        return not self.home.exists()

    def _remote(self, doing: str, call):
        """``call()`` on the bucket; its failures said plainly (never with the credentials)."""
        from botocore.exceptions import BotoCoreError

        try:
            return call()
        except PermissionError as exc:
            raise WarehouseConfigError(
                f"WAREHOUSE={self}: the lake cannot be written with these credentials "
                f"({type(exc).__name__} on {doing}); check DESTINATION__FILESYSTEM__CREDENTIALS__*"
            ) from None
        except FileNotFoundError:
            raise WarehouseConfigError(
                f"WAREHOUSE={self}: its bucket does not exist; create it first"
            ) from None
        except (OSError, BotoCoreError) as exc:
            raise WarehouseUnreachable(
                f"WAREHOUSE={self}: S3 did not answer ({type(exc).__name__} on {doing}); check "
                "the endpoint and the network"
            ) from None

    def prepare(self, command: str, schemas: frozenset[str] = frozenset()) -> None:
        lake = Path(self.lake)
        if not self.store.is_remote and lake.exists() and not lake.is_dir():
            raise WarehouseConfigError(f"WAREHOUSE={self}: {lake} is a file, not a folder")
        if self.is_new and command not in ("load", "ingest"):
            raise NoWarehouse(f"no lake at {self.lake}: load it first (`make load`)")
        java_version()
        check_master(self.master)
        if self.store.is_remote:
            self._remote("write", self.store.check_writable)
        else:
            # A new lake's folders are made as needed: the nearest one that exists decides.
            nearest = next(folder for folder in (lake, *lake.parents) if folder.exists())
            if not os.access(nearest, os.W_OK):
                raise WarehouseConfigError(
                    f"WAREHOUSE={self}: {lake} cannot be written here ({nearest} is not "
                    "writable by this user)"
                )
        if self.is_new:
            log.warning("creating a new lake at %s", self.lake)
        self.home.mkdir(parents=True, exist_ok=True)

    def lock(self, wait_seconds: float) -> AbstractContextManager:
        # The lock file of the lake's own folder: two runs never interleave their commits.
        return LoadLock(self.home / "lake", wait_seconds)

    def session(self):
        """This process's Spark session over the lake (started once; dbt runs in it too)."""
        os.environ.update(spark_environment())
        from pyspark.sql import SparkSession

        builder = SparkSession.builder
        for key, value in spark_settings(self.store, self.home, self.master).items():
            builder = builder.config(key, value)
        try:
            session = builder.getOrCreate()
        except Exception as exc:  # the JVM's own words, on one line
            raise WarehouseUnreachable(
                f"Spark did not start on master {self.master}: {str(exc).splitlines()[0]}; "
                "check SPARK_MASTER (a spark://host:port master must be running)"
            ) from exc
        # Before the first statement: S3A and Iceberg's catalog copy this configuration when
        # they first start, and send it to the executors with each job.
        hadoop = session.sparkContext._jsc.hadoopConfiguration()
        for key, value in self.store.spark_secrets().items():
            hadoop.set(key, value)
        return session

    def connect(self, busy_wait: float):
        from pipelines.engines.spark.catalog import register_dataset
        from pipelines.engines.spark.connection import SparkSql

        fresh_metastore = not (self.home / "metastore_db").exists()
        connection = SparkSql(self.session(), self.store)
        if fresh_metastore:
            # Another machine's lake (or a metastore lost): every table in it is registered
            # where it is, so the models continue incrementally instead of starting afresh.
            for folder in self._remote("list", lambda: self.store.folders(self.lake)):
                schema = folder.rsplit("/", 1)[-1]
                if schema != SPARK_FOLDER:
                    register_dataset(connection, self.store, self.home, schema)
        return connection

    @property
    def state_anchor(self) -> Path:
        # dlt keeps its working folder here; its state also travels in the lake.
        return self.home / "warehouse"

    def dlt_destination(self, connection):
        import dlt

        install_merge()  # one scan and one commit per table and load, not one per 1,000 rows
        # Table names follow Segment's warehouse rules (segment_archive/naming.py), which turn
        # `/` and `.` into `_`: the layout's `/` after `{table_name}` is safe, and dlt's
        # warning that `direct` naming could keep them would only fill cron mail.
        return dlt.destinations.filesystem(
            bucket_url=self.lake,
            credentials=self.store.credentials if self.store.is_remote else None,
            warn_unsafe_layout_separators=False,
        )

    table_format = "iceberg"

    @contextmanager
    def raw_sql(self, pipeline, connection):
        from pipelines.engines.spark.catalog import register_dataset
        from pipelines.engines.spark.connection import SparkRawSql

        connection = connection or self.connect(0)
        dataset = pipeline.dataset_name
        # after_load keeps the catalog current; a lake whose catalog never saw this schema
        # (a metastore lost or started afresh) has its tables registered first.
        if not connection.table_exists(dataset, FILES_TABLE):
            register_dataset(connection, self.store, self.home, dataset)
        yield SparkRawSql(connection, dataset)

    def after_load(self, connection, dataset: str) -> None:
        """Point Spark's catalog at each raw table's newest metadata (dlt wrote it)."""
        from pipelines.engines.spark.catalog import register_dataset

        register_dataset(connection, self.store, self.home, dataset)

    def dbt_environment(self) -> dict[str, str]:
        return {"WAREHOUSE": str(self), "SPARK_LAKE": self.lake, **spark_environment()}

    def newest_value(self, column: str, order: str) -> str:
        return f"max_by({column}, {order}) FILTER (WHERE {column} IS NOT NULL)"

    def erase_deleted(self, connection, tables: list[str]):
        """Rewrite the data files of each table rows were deleted from, then expire every
        older snapshot and remove the files no snapshot names: nothing of the rows stays in
        the lake."""
        from datetime import UTC, datetime

        now = datetime.now(UTC)  # a literal: the procedure takes no expression
        session = connection.session
        for table in tables:
            name = ".".join(f"`{part}`" for part in table.split(".", 1))
            # Spark's own procedures, as written (not DuckDB SQL to transpile). A delete
            # rewrites the files it touches (copy-on-write, Iceberg's default); a table written
            # with delete files instead has its data files rewritten without the rows.
            if session.sql(f"SELECT count(*) FROM {name}.delete_files").collect()[0][0]:
                session.sql(
                    f"CALL spark_catalog.system.rewrite_data_files(table => '{table}', "
                    "options => map('rewrite-all', 'true'))"
                ).collect()
            session.sql(
                f"CALL spark_catalog.system.expire_snapshots(table => '{table}', "
                f"older_than => TIMESTAMP '{now:%Y-%m-%d %H:%M:%S.%f}', retain_last => 1)"
            ).collect()
            session.sql(f"REFRESH TABLE {name}")
        return connection

    def reader(self):
        """The lake's marts and run log, read by DuckDB from the tables' newest snapshots."""
        from pipelines.engines.spark.reader import lake_reader

        if not self._remote("list", lambda: self.store.is_dir(self.store.join("analytics"))):
            raise NoAnalystsCopy(f"no marts in the lake at {self.lake}: run `make load` first")
        return lake_reader(self.store)

    def report_path(self) -> Path:
        """In the lake's folder; an S3 lake's beside its metastore, on this machine."""
        if not self.store.is_remote:
            return Path(self.lake) / "report.html"
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home / "report.html"

    def shell(self, sql: str | None, to_terminal: bool) -> int:
        """Spark's SQL prompt (``spark-sql``) on the lake, with the run's settings."""
        import subprocess

        import pyspark

        if self.is_new:
            raise NoWarehouse(f"no lake at {self.lake}: load it first (`make ingest`)")
        command = [str(Path(pyspark.__file__).parent / "bin" / "spark-sql")]
        settings = spark_settings(self.store, self.home, self.master)
        command += ["--master", settings.pop("spark.master"), "--jars", settings.pop("spark.jars")]
        # Credentials go through the environment (S3A's default chain reads it), never on a
        # command line every user of the machine can list.
        secrets = {
            SECRET_VARIABLES[key]: value for key, value in self.store.spark_secrets().items()
        }
        settings.pop("spark.hadoop.fs.s3a.aws.credentials.provider", None)  # the chain, then
        for key, value in settings.items():
            command += ["--conf", f"{key}={value}"]
        command.append("-S")  # results only, not Spark's log
        if sql:
            command += ["-e", sql]
        environment = {**os.environ, **spark_environment(), **secrets}
        return subprocess.run(command, env=environment, check=False).returncode
