"""Timing one piece of work the same way for every tool: wall time, CPU time and peak memory.

Each measurement runs in a fresh helper process (`measure.py '<json>'`) that starts the commands
and waits for them, so `getrusage(RUSAGE_CHILDREN)` in the helper covers exactly those commands and
everything they wait for (pdflatex under examgen, pdflatex under auto-multiple-choice's perl), and
its `ru_maxrss` is the peak of that work alone, not of earlier measurements.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve()


@dataclass(frozen=True)
class Command:
    """One program to run: its argument list, folder and extra environment."""

    argv: list[str]
    cwd: str
    env: dict[str, str] | None = None


@dataclass(frozen=True)
class Sample:
    """One timed run: wall seconds, CPU seconds (user + system of all children), peak RSS in MiB,
    and how many of its commands exited non-zero."""

    wall_s: float
    cpu_s: float
    peak_mib: float
    failed: int = 0


def median_sample(samples: list[Sample]) -> Sample:
    """Field by field medians of several runs (each field on its own, as the table reports them)."""
    if not samples:
        raise ValueError("no samples")
    return Sample(statistics.median(s.wall_s for s in samples), statistics.median(s.cpu_s for s in samples),
                  statistics.median(s.peak_mib for s in samples), max(s.failed for s in samples))


def timed(commands: list[Command], jobs: int = 1, python: str = sys.executable) -> Sample:
    """Run `commands` (at most `jobs` at once) in a fresh helper process and measure them."""
    payload = json.dumps({"commands": [asdict(c) for c in commands], "jobs": jobs})
    out = subprocess.run([python, str(HERE), payload], capture_output=True, text=True, check=True)
    return Sample(**json.loads(out.stdout.strip().splitlines()[-1]))


def _run(command: dict) -> int:
    env = {**os.environ, **(command.get("env") or {})}
    return subprocess.run(command["argv"], cwd=command["cwd"], env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode


def _helper(payload: str) -> None:
    """Inside the helper: run the commands, print one JSON line with the measurement."""
    spec = json.loads(payload)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, spec["jobs"])) as pool:
        codes = list(pool.map(_run, spec["commands"]))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak_mib = after.ru_maxrss / 1024  # KiB on Linux
    print(json.dumps(asdict(Sample(wall, cpu, peak_mib, sum(1 for c in codes if c != 0)))))


if __name__ == "__main__":
    _helper(sys.argv[1])
