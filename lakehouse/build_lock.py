"""One build at a time: a lock in the state folder held for the whole of a build.

Two builds at once would both see the same files as new and load them twice. `lakehouse
build` (and `lakehouse run`, which builds through it) and `lakehouse dbt <command>` take the
lock before they decide what to load and hold it until dbt has finished; a second one waits
for it, saying which build holds it, and then decides from what the first one loaded.

The lock is an advisory lock (flock) on `<state>/build.lock`: the operating system releases
it when its holder ends, however it ends, so a build killed with SIGKILL leaves no lock to
clean up. The file keeps a line about its last holder, for the message of the one that waits.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from lakehouse.config import Settings


def lock_path(settings: Settings) -> Path:
    return settings.state_dir / "build.lock"


@contextmanager
def build_lock(settings: Settings, what: str) -> Iterator[None]:
    """Hold the build lock for the `with` block, waiting for another build that holds it."""
    path = lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another build"
            print(
                f"Waiting for the build that holds {path} to finish ({holder}); one build "
                "runs at a time.",
                file=sys.stderr,
                flush=True,
            )
            started = time.monotonic()
            fcntl.flock(handle, fcntl.LOCK_EX)
            print(f"... it finished after {time.monotonic() - started:.0f} s.", file=sys.stderr)
        since = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}: {what}, since {since}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
