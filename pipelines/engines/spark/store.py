"""Where a lake's files are: a local (or mounted) folder, or a prefix of an S3 bucket.

Everything that lists, reads or writes the lake's files outside Spark (registering dlt's
tables, the report's reader, the write check) goes through ``LakeStore``, one fsspec file
system for both. An S3 lake's credentials are dlt's own for its filesystem destination
(``DESTINATION__FILESYSTEM__CREDENTIALS__AWS_ACCESS_KEY_ID``, ``…_SECRET_ACCESS_KEY``,
``…_ENDPOINT_URL``, ``…_REGION_NAME``, or AWS's default chain); they reach dlt, Spark's S3A
file system (set in the running JVM, never on a command line) and pyiceberg, and never a
log line, an error or a file.
"""

from __future__ import annotations

import gzip
import posixpath
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

REMOTE_SCHEMES = ("s3://", "s3a://")
# S3A's secret settings, and the variables its default credential chain reads them from.
SECRET_VARIABLES = {
    "fs.s3a.access.key": "AWS_ACCESS_KEY_ID",
    "fs.s3a.secret.key": "AWS_SECRET_ACCESS_KEY",
    "fs.s3a.session.token": "AWS_SESSION_TOKEN",
}


@dataclass(frozen=True)
class LakeStore:
    """A lake's root, ``location``: an absolute local path or ``s3://bucket/prefix``."""

    location: str
    credentials: object | None = field(default=None, compare=False, repr=False)

    @classmethod
    def at(cls, location: str) -> LakeStore:
        if location.startswith("s3a://"):
            location = "s3://" + location.removeprefix("s3a://")
        if location.startswith("s3://"):
            return cls(location.rstrip("/"), aws_credentials())
        return cls(str(Path(location).resolve()))

    @property
    def is_remote(self) -> bool:
        return self.location.startswith(REMOTE_SCHEMES)

    def join(self, *parts: str) -> str:
        return posixpath.join(self.location, *parts)

    @cached_property
    def fs(self):
        import fsspec

        if not self.is_remote:
            return fsspec.filesystem("file")
        options = {k: v for k, v in self.credentials.to_s3fs_credentials().items() if v}
        # No listing cache: a load or a build in this process moves the lake's files.
        return fsspec.filesystem(
            "s3", skip_instance_cache=True, use_listings_cache=False, **options
        )

    def _path(self, url: str) -> str:
        return url.removeprefix("s3://") if self.is_remote else url

    def is_dir(self, url: str) -> bool:
        return self.fs.isdir(self._path(url))

    def _entries(self, url: str, kind: str) -> list[str]:
        """The names of ``url``'s entries of ``kind`` (``file``, ``directory``), sorted."""
        if not self.is_dir(url):
            return []
        entries = self.fs.ls(self._path(url), detail=True, refresh=True)
        return sorted(
            posixpath.basename(entry["name"].rstrip("/"))
            for entry in entries
            if entry["type"] == kind
        )

    def folders(self, url: str) -> list[str]:
        """The sub-folders of ``url`` (as URLs like ``url``), sorted."""
        return [posixpath.join(url, name) for name in self._entries(url, "directory")]

    def files(self, url: str, suffix: str) -> list[str]:
        """The files directly in ``url`` ending with ``suffix`` (as URLs), sorted."""
        names = self._entries(url, "file")
        return [posixpath.join(url, name) for name in names if name.endswith(suffix)]

    def read_text(self, url: str) -> str:
        """A file's text; gunzipped when it is gzip (Iceberg may compress its metadata)."""
        data = self.fs.cat_file(self._path(url))
        return (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode()

    def is_empty(self) -> bool:
        return not self.is_dir(self.location) or not self.fs.ls(self._path(self.location))

    def check_writable(self) -> None:
        """Write and remove one small object: a lake that cannot be written stops the run."""
        probe = self._path(self.join("_spark", "write-check"))
        self.fs.pipe_file(probe, b"")
        self.fs.rm_file(probe)

    def spark_settings(self) -> dict[str, str]:
        """Spark's S3A file system for ``s3://`` and ``s3a://`` paths (no secret in them)."""
        if not self.is_remote:
            return {}
        from pipelines.engines.spark.jars import s3_jars

        credentials = self.credentials
        settings = {
            "spark.jars": ",".join(str(path) for path in s3_jars()),
            "spark.hadoop.fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
            "spark.hadoop.fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        }
        if credentials.aws_session_token:
            settings["spark.hadoop.fs.s3a.aws.credentials.provider"] = (
                "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider"
            )
        if credentials.region_name:
            settings["spark.hadoop.fs.s3a.endpoint.region"] = credentials.region_name
        if credentials.endpoint_url:  # an S3-compatible store (MinIO, moto): path-style URLs
            settings["spark.hadoop.fs.s3a.endpoint"] = credentials.endpoint_url
            settings["spark.hadoop.fs.s3a.path.style.access"] = "true"
            secure = credentials.endpoint_url.startswith("https://")
            settings["spark.hadoop.fs.s3a.connection.ssl.enabled"] = str(secure).lower()
        return settings

    def spark_secrets(self) -> dict[str, str]:
        """S3A's credentials, as Hadoop settings. Never Spark settings: pyspark starts its JVM
        with every setting on the command line, which any user of the machine can list; they
        are set in the running JVM instead (``IcebergLake.session``), or handed to
        ``spark-sql`` through its environment (``SECRET_VARIABLES``)."""
        if not self.is_remote or not self.credentials.aws_access_key_id:
            return {}
        secrets = {
            "fs.s3a.access.key": self.credentials.aws_access_key_id,
            "fs.s3a.secret.key": self.credentials.aws_secret_access_key,
        }
        if self.credentials.aws_session_token:
            secrets["fs.s3a.session.token"] = self.credentials.aws_session_token
        return secrets

    def pyiceberg_properties(self) -> dict[str, str]:
        if not self.is_remote:
            return {}
        return {k: v for k, v in self.credentials.to_pyiceberg_fileio_config().items() if v}


def aws_credentials():
    """dlt's credentials for its filesystem destination (config, env or AWS's chain)."""
    from dlt.common.configuration import resolve_configuration
    from dlt.common.configuration.specs import AwsCredentials

    return resolve_configuration(
        AwsCredentials(), sections=("destination", "filesystem", "credentials")
    )
