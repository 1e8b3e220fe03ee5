"""A shared PostgreSQL metastore instead of the embedded Derby one.

Derby lets one process at a time open its folder; a PostgreSQL database lets several Thrift
servers and Spark sessions share one catalog. `lakehouse server start --metastore
postgresql://user:password@host:5432/metastore` (or env LAKEHOUSE_METASTORE_URL) selects it.

Spark's built-in Hive 2.3 client stores the catalog through DataNucleus. Left to create its
tables lazily (`datanucleus.schema.autoCreateAll`), it deadlocks on PostgreSQL: a transaction
inserting into TBLS waits while a second connection adds a foreign key that references TBLS.
So the whole schema is created up front, in one go and outside any transaction, by
DataNucleus's SchemaTool from the mapping Hive ships (`package.jdo` in hive-metastore.jar).
It is idempotent: existing tables are left as they are.

The password never appears on a command line: it goes into `<state>/metastore-conf/
hive-site.xml` (mode 0600), a folder on the driver's class path where Spark looks for it.
"""

from __future__ import annotations

import os
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

from lakehouse.config import Settings
from lakehouse.errors import LakehouseError
from lakehouse.spark_home import spark_home

DRIVER_CLASS = "org.postgresql.Driver"
# Debian's libpostgresql-jdbc-java; the container image downloads the same driver.
DEFAULT_DRIVER_JAR = Path("/usr/share/java/postgresql.jar")
URL_HELP = "postgresql://USER:PASSWORD@HOST:PORT/DATABASE"


@dataclass(frozen=True)
class Metastore:
    host: str
    port: int
    database: str
    user: str
    password: str

    @property
    def jdbc_url(self) -> str:
        return f"jdbc:postgresql://{self.host}:{self.port}/{self.database}"

    def __repr__(self) -> str:  # never print the password
        return f"Metastore({self.user}@{self.host}:{self.port}/{self.database})"


def parse_url(url: str) -> Metastore:
    """`postgresql://user:password@host:port/db` -> Metastore (port 5432 when omitted)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("postgresql", "postgres"):
        raise LakehouseError(
            f"Unsupported metastore URL scheme {parts.scheme!r}: only PostgreSQL is supported.",
            f"Give it as {URL_HELP}.",
        )
    try:
        port = parts.port or 5432
    except ValueError as exc:
        raise LakehouseError(f"The metastore URL has a bad port: {exc}.", URL_HELP) from exc
    database = parts.path.lstrip("/")
    if not parts.hostname or not database or not parts.username:
        raise LakehouseError(
            "The metastore URL needs a user, a host and a database name.",
            f"Give it as {URL_HELP} (percent-encode special characters in the password).",
        )
    return Metastore(
        host=parts.hostname,
        port=port,
        database=unquote(database),
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
    )


def driver_jar() -> Path:
    jar = Path(os.environ.get("LAKEHOUSE_POSTGRES_JDBC_JAR", str(DEFAULT_DRIVER_JAR)))
    if not jar.is_file():
        raise LakehouseError(
            f"The PostgreSQL JDBC driver is not at {jar}.",
            "Install it (`apt-get install libpostgresql-jdbc-java`), or set "
            "LAKEHOUSE_POSTGRES_JDBC_JAR to a postgresql-*.jar.",
        )
    return jar


def conf_dir(settings: Settings) -> Path:
    return settings.state_dir / "metastore-conf"


def spark_confs(metastore: Metastore) -> dict[str, str]:
    """Spark confs of a PostgreSQL metastore (the password is in hive-site.xml instead)."""
    return {
        "spark.hadoop.javax.jdo.option.ConnectionURL": metastore.jdbc_url,
        "spark.hadoop.javax.jdo.option.ConnectionDriverName": DRIVER_CLASS,
        "spark.hadoop.javax.jdo.option.ConnectionUserName": metastore.user,
        # The schema exists (init_schema); these let Hive use it without its VERSION checks.
        "spark.hadoop.datanucleus.schema.autoCreateAll": "true",
        "spark.hadoop.hive.metastore.schema.verification": "false",
    }


def class_path(settings: Settings) -> list[Path]:
    """What the driver needs on its class path: the JDBC driver and hive-site.xml's folder."""
    return [driver_jar(), conf_dir(settings)]


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    path.chmod(0o600)


def write_hive_site(settings: Settings, metastore: Metastore) -> Path:
    path = conf_dir(settings) / "hive-site.xml"
    _write_private(
        path,
        '<?xml version="1.0"?>\n<configuration>\n  <property>\n'
        "    <name>javax.jdo.option.ConnectionPassword</name>\n"
        f"    <value>{escape(metastore.password)}</value>\n"
        "  </property>\n</configuration>\n",
    )
    return path


def init_schema(settings: Settings, metastore: Metastore, java_home: Path) -> None:
    """Create the Hive metastore tables that are missing (DataNucleus SchemaTool)."""
    jars = spark_home() / "jars"
    hive_jars = sorted(jars.glob("hive-metastore-*.jar"))
    if not hive_jars:
        raise LakehouseError(f"No hive-metastore jar in {jars}.", "Reinstall pyspark.")
    work = conf_dir(settings) / "schematool"
    work.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(hive_jars[0]) as archive:
        (work / "package.jdo").write_bytes(archive.read("package.jdo"))
    props = work / "datanucleus.properties"
    _write_private(
        props,
        "\n".join(
            [
                f"datanucleus.ConnectionDriverName={DRIVER_CLASS}",
                f"datanucleus.ConnectionURL={metastore.jdbc_url}",
                f"datanucleus.ConnectionUserName={metastore.user}",
                f"datanucleus.ConnectionPassword={metastore.password}",
                "datanucleus.schema.autoCreateAll=true",
                # Hive's own defaults, so the tables are the ones its client expects.
                "datanucleus.identifierFactory=datanucleus1",
                "datanucleus.rdbms.useLegacyNativeValueStrategy=true",
                "",
            ]
        ),
    )
    log_path = settings.logs_dir / "metastore-schema.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        str(java_home / "bin" / "java"),
        "-cp", f"{jars}/*:{driver_jar()}",
        "org.datanucleus.store.schema.SchemaTool",
        "-create", "-api", "JDO", "-props", str(props), "package.jdo",
    ]  # fmt: skip
    try:
        with log_path.open("w") as log:
            result = subprocess.run(
                command, cwd=work, stdout=log, stderr=subprocess.STDOUT, check=False, timeout=300
            )
    finally:
        props.unlink(missing_ok=True)
    text = log_path.read_text(errors="replace")
    if result.returncode != 0 or "completed successfully" not in text:
        reasons = [line for line in text.splitlines() if "Exception" in line or "FATAL" in line]
        detail = "\n".join(f"  | {line}" for line in (reasons or text.splitlines())[-6:])
        raise LakehouseError(
            f"Could not create the Hive metastore schema in {metastore!r}.\n{detail}",
            "Check that PostgreSQL is up and the database and user exist "
            f"(`psql -h {metastore.host} -p {metastore.port} -U {metastore.user} "
            f"{metastore.database}`). Full log: {log_path}",
        )


def prepare(settings: Settings, java_home: Path) -> Metastore | None:
    """Before a start: for a PostgreSQL metastore, its schema and hive-site.xml."""
    if not settings.metastore_url:
        return None
    metastore = parse_url(settings.metastore_url)
    driver_jar()
    init_schema(settings, metastore, java_home)
    write_hive_site(settings, metastore)
    return metastore
