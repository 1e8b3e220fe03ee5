"""Peak memory: the server JVM sampled in a background thread, the generator measured exactly."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

MB = 2**20


def process_rss(pid: int) -> int:
    """Resident memory of one process in bytes (0 when it is gone).

    Only the process itself: in local mode the whole Spark server is one JVM, and the
    commands it forks for a moment (Hadoop's shell calls) would otherwise be counted with
    the parent's pages they share, doubling the figure.
    """
    try:
        return psutil.Process(pid).memory_info().rss
    except psutil.Error:
        return 0


def kernel_peak_rss(pid: int) -> int | None:
    """The kernel's high-water mark of the process's RSS (Linux VmHWM), in bytes."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


class PeakSampler:
    """Samples a process's RSS every `interval_s` and keeps the peak of each phase.

    Sampling misses spikes shorter than the interval; a JVM's heap grows and shrinks slowly,
    so a quarter of a second is fine-grained enough for a peak of a build.
    """

    def __init__(self, pid: int, interval_s: float = 0.25) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.peaks: dict[str, int] = {}
        self._phase: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> PeakSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        with self._lock:
            self._phase = name
            self.peaks[name] = max(self.peaks.get(name, 0), process_rss(self.pid))
        try:
            yield
        finally:
            with self._lock:
                self.peaks[name] = max(self.peaks[name], process_rss(self.pid))
                self._phase = None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            rss = process_rss(self.pid)
            with self._lock:
                if self._phase is not None:
                    self.peaks[self._phase] = max(self.peaks[self._phase], rss)

    def peaks_mb(self) -> dict[str, float]:
        return {name: round(value / MB, 1) for name, value in self.peaks.items()}


def run_with_peak(command: list[str], log_path: Path) -> tuple[int, float]:
    """Run a command with its output in log_path; (exit code, its peak RSS in MB).

    The peak comes from the kernel (wait4's ru_maxrss of that child), so it is exact, not
    sampled.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            process.kill()
            process.wait()
            raise
    process.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in kilobytes on Linux, in bytes on macOS.
    peak_bytes = usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024
    return process.returncode, round(peak_bytes / MB, 1)
