"""`lakehouse-dbt ARGS`: dbt ARGS under the build lock (lakehouse/build_lock.py).

For schedulers that run dbt themselves, one node at a time (the Airflow DAG's Cosmos tasks):
each dbt invocation waits for a `lakehouse build` that holds the lock, and a build waits for
it, so two of them never load the same landing files at once. The environment, the working
folder and the exit code are dbt's own.
"""

from __future__ import annotations

import subprocess
import sys

from lakehouse.build_lock import build_lock
from lakehouse.config import load_settings
from lakehouse.dbt_runner import dbt_executable


def main() -> int:
    command = [dbt_executable(), *sys.argv[1:]]
    with build_lock(load_settings(), "dbt " + " ".join(sys.argv[1:])[:80]):
        return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main())
