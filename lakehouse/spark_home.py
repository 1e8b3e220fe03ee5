"""Where the pip-installed pyspark keeps Spark's scripts and jars."""

from __future__ import annotations

from pathlib import Path

from lakehouse.errors import LakehouseError


def spark_home() -> Path:
    try:
        import pyspark
    except ImportError as exc:  # pragma: no cover - the package depends on pyspark
        raise LakehouseError(
            "pyspark is not installed in this Python environment.",
            "Run `make setup` to create the virtual environment.",
        ) from exc
    return Path(pyspark.__file__).resolve().parent


def pyspark_version() -> str:
    import pyspark

    return pyspark.__version__


def spark_submit() -> Path:
    return spark_home() / "bin" / "spark-submit"


def beeline() -> Path:
    return spark_home() / "bin" / "beeline"
