"""The system programs the test suite needs beyond Python, Java and make, checked before
`make test` starts (standard library only: it runs before the virtualenv exists).

    python3 pytests/support/system_programs.py [--tiers unit,integration,system] [--install]

Prints every missing program with the one `apt-get install` line that brings them all, and
exits 1. With --install, as root on Debian or Ubuntu, it runs that line instead (as CI does).
The unit tier needs none of them beyond python3-venv, which `make setup` needs.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Requirement:
    what: str  # what a person reads in the list
    package: str  # the Debian/Ubuntu package that brings it
    tier: str  # the first tier that needs it
    why: str

    def present(self) -> bool:
        return PRESENT[self.package]()


def _command(*names: str):
    return lambda: any(shutil.which(name) for name in names)


def _venv_module() -> bool:
    done = subprocess.run(
        [sys.executable, "-c", "import venv, ensurepip"], capture_output=True, check=False
    )
    return done.returncode == 0


PRESENT = {
    "python3-venv": _venv_module,
    "chromium": _command("chromium", "chromium-browser"),
    "fish": _command("fish"),
    "tcsh": _command("tcsh"),
    "postgresql": lambda: bool(glob.glob("/usr/lib/postgresql/*/bin/initdb")),
    "libpostgresql-jdbc-java": lambda: Path("/usr/share/java/postgresql.jar").is_file(),
    "docker.io": _command("dockerd"),
    "docker-compose": _command("docker-compose"),
    "debootstrap": _command("debootstrap"),
}

REQUIREMENTS = (
    Requirement("python3 -m venv", "python3-venv", "unit", "make setup creates .venv with it"),
    Requirement(
        "chromium", "chromium", "integration", "pages rendered headless: docs, report, Airflow"
    ),
    Requirement("fish", "fish", "integration", "the venv's fish activation script"),
    Requirement("tcsh", "tcsh", "integration", "the venv's csh activation script"),
    Requirement("PostgreSQL", "postgresql", "system", "the cluster test's metastore"),
    Requirement(
        "PostgreSQL's JDBC driver",
        "libpostgresql-jdbc-java",
        "system",
        "the cluster test's metastore",
    ),
    Requirement("dockerd", "docker.io", "system", "the compose stack test"),
    Requirement("docker-compose", "docker-compose", "system", "the compose stack test"),
    Requirement("debootstrap", "debootstrap", "system", "the compose image's Debian base"),
)

TIERS = ("unit", "integration", "system")


def missing(tiers: list[str]) -> list[Requirement]:
    wanted = set(tiers)
    return [req for req in REQUIREMENTS if req.tier in wanted and not req.present()]


def _can_install() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def install(packages: list[str]) -> int:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print(f"Installing system packages: {' '.join(packages)}", flush=True)
    update = subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
    if update.returncode != 0:
        return update.returncode
    done = subprocess.run(["apt-get", "install", "-y", "-qq", *packages], env=env, check=False)
    return done.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tiers", default=",".join(TIERS), help="comma-separated tiers to check (default: all)"
    )
    parser.add_argument(
        "--install",
        action="store_true",
        help="as root on Debian/Ubuntu, install what is missing instead of failing",
    )
    args = parser.parse_args(argv)
    tiers = [tier.strip() for tier in args.tiers.split(",") if tier.strip()]
    unknown = sorted(set(tiers) - set(TIERS))
    if unknown:
        parser.error(f"unknown tier(s) {', '.join(unknown)}; choose from {', '.join(TIERS)}")

    absent = missing(tiers)
    if not absent:
        return 0
    packages = sorted({req.package for req in absent})
    if args.install and _can_install():
        if install(packages) == 0 and not missing(tiers):
            return 0
        print("The installation did not bring every program; still missing:", file=sys.stderr)
        absent = missing(tiers)
        packages = sorted({req.package for req in absent})
    else:
        print("The test suite needs programs this machine lacks:", file=sys.stderr)
    for req in absent:
        print(f"  - {req.what:<26} ({req.tier} tier: {req.why})", file=sys.stderr)
    print(
        "Install them with:\n"
        f"  sudo apt-get install -y {' '.join(packages)}\n"
        "then run `make test` again (or `make test-fast` for the unit tier, which needs none).",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
