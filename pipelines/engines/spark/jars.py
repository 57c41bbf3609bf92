"""The jars a lake on S3 needs beside pyspark's: Hadoop's S3A file system and the AWS SDK.

Maven cannot be reached from these machines, so they come from PyPI: the source distribution
of ``sagemaker_pyspark`` 1.4.5 carries ``hadoop-aws-3.3.1.jar`` and
``aws-java-sdk-bundle-1.11.901.jar`` (Hadoop 3.3.1's S3A, which runs on pyspark 3.5's
Hadoop 3.3.4 client; tested against moto). ``make`` runs ``python -m
pipelines.engines.spark.jars`` once: pip downloads the archive, the two jars are taken out,
checked against their SHA-256 and kept in the virtual environment. Nothing else of the
package is installed or imported.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from pipelines.errors import WarehouseConfigError

log = logging.getLogger(__name__)

DISTRIBUTION = "sagemaker_pyspark==1.4.5"
MEMBER_FOLDER = "sagemaker_pyspark-1.4.5/deps/jars/"
S3_JARS = {
    "hadoop-aws-3.3.1.jar": "6be50ad8a8b445d2802381b085b2a3ede5c29d353450a6a21f16b2fefa962b6e",
    "aws-java-sdk-bundle-1.11.901.jar": (
        "b87175b32a16544cc1b37cf40390eb375833e62bed67f8ce6cde4b7ad6429ead"
    ),
}


def jar_folder() -> Path:
    """Inside the virtual environment: ``make clean`` of the venv removes them with it."""
    return Path(sys.prefix) / "share" / "regal-voice-warehouse" / "jars"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def s3_jars() -> list[Path]:
    """The two jars, or a clear error saying how to install them."""
    found = [jar_folder() / name for name in S3_JARS]
    missing = [path.name for path in found if not path.exists()]
    if missing:
        raise WarehouseConfigError(
            f"a lake on S3 needs {', '.join(missing)} for Spark: run it through make (which "
            "installs them), or python -m pipelines.engines.spark.jars"
        )
    return found


def install() -> list[Path]:
    """Download the distribution with pip, keep the two jars; a no-op when they are there."""
    folder = jar_folder()
    wanted = {name: digest for name, digest in S3_JARS.items() if not (folder / name).exists()}
    if not wanted:
        return s3_jars()
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        pip += ["--no-binary", ":all:", "--dest", scratch, DISTRIBUTION]
        subprocess.run(pip, check=True)
        (archive,) = Path(scratch).glob("*.tar.gz")
        with tarfile.open(archive) as tar:
            for name, digest in wanted.items():
                source = tar.extractfile(MEMBER_FOLDER + name)
                if source is None:
                    raise WarehouseConfigError(f"{DISTRIBUTION} has no {name}")
                partial = folder / f"{name}.partial"
                with partial.open("wb") as target:
                    while block := source.read(1 << 20):
                        target.write(block)
                if _sha256(partial) != digest:
                    partial.unlink()
                    raise WarehouseConfigError(f"{name} of {DISTRIBUTION} is not the one expected")
                partial.replace(folder / name)
                log.info("installed %s", folder / name)
    return s3_jars()


if __name__ == "__main__":
    for path in install():
        print(path)
