"""One build at a time: a second build waits for the lock of the first, naming it, and a build
killed with SIGKILL leaves no lock behind (the operating system releases it)."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
from pathlib import Path

from lakehouse.build_lock import build_lock, lock_path
from lakehouse.config import Settings

# A process that takes the lock of the state folder in argv[1], says so, and holds it.
HOLDER = """
import sys, time
from pathlib import Path
from lakehouse.build_lock import build_lock
from lakehouse.config import Settings
with build_lock(Settings(state_dir=Path(sys.argv[1])), sys.argv[2]):
    print("holding", flush=True)
    time.sleep(float(sys.argv[3]))
print("released", flush=True)
"""


def _start(state: Path, what: str, hold_s: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(state), what, str(hold_s)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_second_build_waits_for_the_first_and_names_it(tmp_path: Path) -> None:
    first = _start(tmp_path, "lakehouse build", 3)
    assert first.stdout.readline() == "holding\n"
    second = _start(tmp_path, "lakehouse dbt build", 0)
    out, err = second.communicate(timeout=60)
    first.communicate(timeout=60)
    assert second.returncode == 0 and out == "holding\nreleased\n"
    assert f"Waiting for the build that holds {lock_path(Settings(state_dir=tmp_path))}" in err
    assert f"(pid {first.pid}: lakehouse build, since " in err


def test_a_build_killed_while_holding_the_lock_leaves_it_free(tmp_path: Path) -> None:
    killed = _start(tmp_path, "lakehouse build", 600)
    assert killed.stdout.readline() == "holding\n"
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    path = lock_path(Settings(state_dir=tmp_path))
    assert path.read_text().startswith(f"pid {killed.pid}: lakehouse build")  # its last holder
    with path.open("a") as probe:  # free at once: a non-blocking take succeeds
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(probe, fcntl.LOCK_UN)
    with build_lock(Settings(state_dir=tmp_path), "the next build"):
        holder = path.read_text()
    assert holder.startswith(f"pid {os.getpid()}: the next build, since ")
