"""A Spark session over an Iceberg lake: the one place that knows how Spark is configured.

Every JVM of a run (this process's session, dbt's, ``make shell``'s ``spark-sql``) is built
from ``spark_settings``: Iceberg's runtime jar from its PyPI wheel (``spark.jars``, shipped to
the executors by the driver), Iceberg's session catalog over a Hive metastore, and an embedded
Derby metastore in the lake's ``_spark/`` folder. A user in production points
``SPARK_CONF_DIR`` or ``spark-defaults.conf`` at their own metastore (Hive, Glue, a REST
catalog) instead; see the README's engine section.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

from pipelines.engines.spark.store import LakeStore
from pipelines.errors import WarehouseConfigError

# Iceberg's runtime for Spark 3.5 and Scala 2.12 (pyspark's build), inside its PyPI wheel.
ICEBERG_JAR_PATTERN = "iceberg-spark-runtime-3.5_2.12-*.jar"
DEFAULT_MASTER = "local[2]"
# Where the lake keeps Spark's own files: the metastore and the lock.
SPARK_FOLDER = "_spark"
# What the JVM logs: errors only.
LOG_SETTINGS = Path(__file__).with_name("log4j2.properties")


def iceberg_jar() -> Path:
    """The Iceberg runtime jar of the ``snowpark-connect-deps-iceberg`` wheel."""
    try:
        import snowpark_connect_deps_iceberg as jars
    except ImportError:
        raise WarehouseConfigError(
            "a WAREHOUSE=iceberg:… lake needs Spark and Iceberg's runtime: run it through make "
            "(which installs them), or pip install -e '.[spark]'"
        ) from None
    found = sorted((Path(jars.__file__).parent / "jars").glob(ICEBERG_JAR_PATTERN))
    if not found:
        raise WarehouseConfigError(
            "Iceberg's runtime jar is missing from snowpark-connect-deps-iceberg: reinstall it "
            "(pip install --force-reinstall snowpark-connect-deps-iceberg==1.0.2)"
        )
    return found[-1]


@cache
def java_version() -> str:
    """``java -version``'s first line; a clear error when there is no Java."""
    java = shutil.which("java") or (
        str(Path(os.environ["JAVA_HOME"]) / "bin" / "java") if os.environ.get("JAVA_HOME") else None
    )
    if java is None or not Path(java).exists():
        raise WarehouseConfigError(
            "a WAREHOUSE=iceberg:… lake runs on Spark, which needs Java 17: install it "
            "(apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME"
        )
    shown = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    return (shown.stderr or shown.stdout).splitlines()[0] if shown.returncode == 0 else ""


def spark_settings(store: LakeStore, home: Path, master: str = DEFAULT_MASTER) -> dict[str, str]:
    """Every setting of a session over the lake at ``store``, whose own files (metastore,
    Derby's log) are in the local folder ``home``."""
    metastore = home / "metastore_db"
    s3 = store.spark_settings()
    jars = ",".join(filter(None, [str(iceberg_jar()), s3.pop("spark.jars", "")]))
    return {
        "spark.master": master,
        "spark.app.name": "regal-voice-warehouse",
        "spark.jars": jars,
        "spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        "spark.sql.catalog.spark_catalog": "org.apache.iceberg.spark.SparkSessionCatalog",
        "spark.sql.catalog.spark_catalog.type": "hive",
        "spark.sql.catalogImplementation": "hive",
        "spark.sql.warehouse.dir": store.location,
        "spark.sql.session.timeZone": "UTC",
        # An embedded Derby metastore in the lake: one JVM at a time, which a run's lock gives.
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={metastore};create=true"
        ),
        "spark.hadoop.datanucleus.schema.autoCreateAll": "true",
        # Derby's own log goes beside the metastore, not into the working folder; the JVM's
        # log says errors only (log4j2.properties).
        "spark.driver.extraJavaOptions": (
            f"-Dderby.system.home={home} -Dderby.stream.error.file={home / 'derby.log'}"
            f" -Dlog4j2.configurationFile={LOG_SETTINGS}"
        ),
        "spark.hadoop.hive.metastore.schema.verification": "false",
        # Hive's session makes <tmp>/<session id>_resources and never removes it: one empty
        # folder a run, thousands a year of hourly runs. One folder beside the metastore.
        "spark.hadoop.hive.downloaded.resources.dir": str(home / "resources"),
        # As a catalog option Iceberg ignores it, and every commit then waits ~200 s for a
        # Hive lock Derby never grants; the run's own lock keeps writers apart.
        "spark.hadoop.iceberg.engine.hive.lock-enabled": "false",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",  # progress bars in cron mail
        "spark.sql.shuffle.partitions": "4",
        "spark.driver.memory": "1g",
        "spark.executor.memory": "1g",
        **s3,
    }


def spark_environment() -> dict[str, str]:
    """What every Spark JVM of a run needs in its environment."""
    return {"SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", "")}
