"""Start-up time of the command line: `examgen --help`, `examgen list` and `examgen solve` of a
template whose solver needs no torch, each the median wall time of fresh processes, against the
targets of issue 8; plus the bank's YAML read with PyYAML's pure-Python and libyaml loaders.
Writes (or replaces) only the "Start-up" section of BENCHMARKS.md.

    .venv/bin/python benchmarks/startup.py [--runs 3] [--out BENCHMARKS.md]
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import replace_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMGEN = str(Path(sys.executable).parent / "examgen")
BEGIN, END = "<!-- startup:begin -->", "<!-- startup:end -->"
# As a user runs it: Python may cache bytecode (some sandboxes switch that off, which costs
# compiling every examgen module at each start).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

# (what a user types, its arguments, target in seconds or None)
COMMANDS = [
    ("examgen --help", ["--help"], 0.3),
    ("examgen --version", ["--version"], None),
    ("examgen list", ["list"], 0.5),
    ("examgen list --json", ["list", "--json"], None),
    ("examgen solve threshold-rnn-latch --seed 3 (no torch)", ["solve", "threshold-rnn-latch", "--seed", "3"], 0.8),
    ("examgen solve conv2d-params --seed 3 (torch)", ["solve", "conv2d-params", "--seed", "3"], None),
]


def timed(args: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one fresh `examgen ARGS` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([EXAMGEN, *args], cwd=ROOT, capture_output=True, text=True, env=ENV)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"exit {done.returncode}")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def medians(args: list[str], runs: int) -> tuple[float, float] | str:
    """Median wall and median CPU seconds over `runs`, after one uncounted warm-up; or why it failed."""
    try:
        timed(args)  # warms the file cache and writes the .pyc files
        walls, cpus = zip(*(timed(args) for _ in range(runs)))
    except RuntimeError as err:
        return str(err)
    return statistics.median(walls), statistics.median(cpus)


def yaml_loads(runs: int) -> dict[str, float]:
    """Median seconds to parse every bank file with each PyYAML loader (in this process)."""
    import yaml

    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "bank").rglob("*.yaml"))]
    out = {}
    for name in ("SafeLoader", "CSafeLoader"):
        loader = getattr(yaml, name, None)
        if loader is None:
            continue
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            for text in texts:
                yaml.load(text, Loader=loader)
            times.append(time.perf_counter() - start)
        out[f"{name} ({len(texts)} files)"] = statistics.median(times)
    return out


def section(runs: int, rows: list[tuple[str, tuple[float, float] | str, float | None]], loads: dict[str, float]) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["## Start-up", "",
             f"Produced by `.venv/bin/python benchmarks/startup.py --runs {runs}` on {when}: the median "
             f"wall time of {runs} fresh processes (after one uncounted warm-up, which also writes the "
             "bytecode cache), run from the repository.",
             "", f"Machine: nproc {os.cpu_count()}, python {platform.python_version()}, "
             f"load average at start {os.getloadavg()[0]:.1f}.", "",
             "| command | wall s (median) | CPU s (median) | target s | wall met | CPU met |",
             "|---|---:|---:|---:|---|---|"]
    for label, result, target in rows:
        if isinstance(result, str):
            lines.append(f"| `{label}` | fails ({result}) | | | | |")
            continue
        seconds, cpu = result
        met = ["" if target is None else ("yes" if t < target else "**no**") for t in (seconds, cpu)]
        shown = "" if target is None else f"{target:.1f}"
        lines.append(f"| `{label}` | {seconds:.2f} | {cpu:.2f} | {shown} | {met[0]} | {met[1]} |")
    lines += ["", "CPU is user + system time of the process: on a quiet machine the wall time is close to "
              "it; on a loaded one (see the load average) the wall time grows and the CPU time barely does."]
    lines += ["", "Reading the bank's YAML (median of the same runs, in one process):", "",
              "| loader | seconds |", "|---|---:|"]
    lines += [f"| `yaml.{name}` | {seconds:.3f} |" for name, seconds in loads.items()]
    lines += ["", "What keeps start-up short: the bank is read with libyaml (`yaml.CSafeLoader`); torch, "
              "sympy, rich, jinja2 and pylatex are imported only by the commands and solvers that use "
              "them, so `--help` and `list` import none of torch, sympy or jinja2."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    rows = [(label, medians(argv, args.runs), target) for label, argv, target in COMMANDS]
    text = section(args.runs, rows, yaml_loads(args.runs))
    old = args.out.read_text(encoding="utf-8") if args.out.exists() else "# Benchmarks\n"
    args.out.write_text(replace_section(old, text, BEGIN, END), encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
