"""Delta Lake's jars: fetched from Maven Central once, then kept in the state folder.

Spark's own dependency resolver (Ivy, driven by `spark-submit --packages`) does the download,
so the transitive set is exactly what Spark would load. Jars that pyspark already ships are
left out; the rest are copied to `<state>/jars/` and passed with `--jars` on every start, so
later starts need no network at all.

One more jar comes with them: `hive-llap-common`, at the version of the Hive jars pyspark
ships. Spark 4 no longer bundles it, yet Hive's FunctionRegistry (which the Thrift server
initialises when a session closes) refers to one of its classes; without it a session close
can fail with `NoClassDefFoundError: .../LlapSigner$Signable`. It is fetched alone, without
its transitive dependencies, because everything else it needs is already in pyspark.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

from lakehouse.config import DELTA_ARTIFACT, Settings
from lakehouse.errors import LakehouseError
from lakehouse.spark_home import spark_home, spark_submit

RESOURCES = Path(__file__).resolve().parent / "resources"
MARKER = "resolved-artifact.txt"


def shipped_hive_version() -> str:
    """The version of the Hive jars inside pyspark, e.g. '2.3.10'."""
    for jar in (spark_home() / "jars").glob("hive-common-*.jar"):
        return jar.name.removeprefix("hive-common-").removesuffix(".jar")
    raise LakehouseError(
        f"pyspark at {spark_home()} has no hive-common jar, so it cannot run the Thrift server.",
        "Reinstall the locked packages with `make setup`.",
    )


def hive_llap_artifact() -> str:
    return f"org.apache.hive:hive-llap-common:{shipped_hive_version()}"


def _wanted_marker() -> str:
    """What the cache must have been resolved for: the Delta package and the Hive extra."""
    return f"{DELTA_ARTIFACT}\n{hive_llap_artifact()}"


def cached_jars(settings: Settings) -> list[Path]:
    """The cached jar set, or [] when it is missing or was resolved for other versions."""
    marker = settings.jars_dir / MARKER
    if not marker.is_file() or marker.read_text().strip() != _wanted_marker():
        return []
    return sorted(settings.jars_dir.glob("*.jar"))


def _download_single_jar(settings: Settings, artifact: str, target_dir: Path) -> Path:
    """Download one Maven artifact's jar (no transitive dependencies) into target_dir."""
    group, name, version = artifact.split(":")
    file_name = f"{group}_{name}-{version}.jar"  # named the way Ivy names the others
    url = f"{settings.maven_repo}/{group.replace('.', '/')}/{name}/{version}/{name}-{version}.jar"
    target = target_dir / file_name
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            target.write_bytes(response.read())
    except OSError as exc:
        raise LakehouseError(
            f"Could not download {artifact} from {url}: {exc}",
            "Check the network can reach Maven Central, or set LAKEHOUSE_MAVEN_REPO to a mirror.",
        ) from exc
    return target


def _artifact_name(jar_file_name: str) -> str:
    """'io.delta_delta-storage-4.4.0.jar' -> 'delta-storage' (Ivy prefixes the group id)."""
    base = jar_file_name.split("_", 1)[1] if "_" in jar_file_name else jar_file_name
    return re.sub(r"-\d[\w.\-]*\.jar$", "", base)


def _ivy_settings(settings: Settings) -> Path:
    """An Ivy settings file with one resolver, the configured Maven repository."""
    path = settings.ivy_dir / "ivysettings.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "<ivysettings>\n"
        '  <settings defaultResolver="maven"/>\n'
        f'  <caches defaultCacheDir="{settings.ivy_dir / "cache"}"/>\n'
        "  <resolvers>\n"
        f'    <ibiblio name="maven" m2compatible="true" root="{settings.maven_repo}/"/>\n'
        "  </resolvers>\n"
        "</ivysettings>\n"
    )
    return path


def fetch_jars(settings: Settings, java_home: Path | None = None) -> list[Path]:
    """Return the Delta jars, downloading them first if the cache does not have them."""
    cached = cached_jars(settings)
    if cached:
        return cached
    print(f"Fetching Delta Lake jars ({DELTA_ARTIFACT}) from {settings.maven_repo} (first use) ...")
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.logs_dir / "fetch-jars.log"
    command = [
        str(spark_submit()),
        "--packages", DELTA_ARTIFACT,
        "--conf", f"spark.jars.ivy={settings.ivy_dir}",
        "--conf", f"spark.jars.ivySettings={_ivy_settings(settings)}",
        str(RESOURCES / "noop.py"),
    ]  # fmt: skip
    env = dict(os.environ, SPARK_HOME=str(spark_home()))
    if java_home:
        env["JAVA_HOME"] = str(java_home)
    with log_path.open("w") as log:
        result = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env, check=False)
    retrieved = settings.ivy_dir / "jars"
    if result.returncode != 0 or not list(retrieved.glob("*.jar")):
        tail = _log_tail(log_path, pattern=r"unresolved|not found|Connection|UnknownHost|ERROR")
        raise LakehouseError(
            f"Could not download the Delta Lake jars from {settings.maven_repo}.\n{tail}",
            "Check the network can reach Maven Central, or set LAKEHOUSE_MAVEN_REPO to a "
            f"mirror. Full log: {log_path}",
        )
    shipped = {_artifact_name(p.name) for p in (spark_home() / "jars").glob("*.jar")}
    settings.jars_dir.mkdir(parents=True, exist_ok=True)
    for old in settings.jars_dir.glob("*.jar"):
        old.unlink()
    for jar in retrieved.glob("*.jar"):
        if _artifact_name(jar.name) not in shipped:
            shutil.copy2(jar, settings.jars_dir / jar.name)
    _download_single_jar(settings, hive_llap_artifact(), settings.jars_dir)
    (settings.jars_dir / MARKER).write_text(_wanted_marker() + "\n")
    jars = cached_jars(settings)
    print(f"Cached {len(jars)} jars in {settings.jars_dir}")
    return jars


def _log_tail(path: Path, pattern: str, limit: int = 6) -> str:
    lines = [line.rstrip() for line in path.read_text(errors="replace").splitlines()]
    wanted = [line for line in lines if re.search(pattern, line)]
    chosen = (wanted or lines)[-limit:]
    return "\n".join(f"  | {line}" for line in chosen)
