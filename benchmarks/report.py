"""BENCHMARKS.md's build-speed section: the table of medians, the ratios, the machine, the command.

Only the text between this section's markers is replaced; other sections (start-up, check
throughput) are written by their own scripts and kept as they are.
"""
from __future__ import annotations

import os
import platform
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from measure import Sample

START = "<!-- bench:build-speed:start -->"
END = "<!-- bench:build-speed:end -->"


@dataclass
class Row:
    """Medians for one variant count: examgen's build, the floor on its .tex, AMC with as many copies."""

    variants: int
    examgen: Sample
    floor: Sample
    floor_docs: int
    amc: Sample | None
    amc_check: str = ""
    startup: Sample | None = None   # a fresh Python importing what the build loads before solving
    cold: Sample | None = None      # one build with an empty format cache (the first on a machine)


def replace_section(document: str, body: str, start: str = START, end: str = END) -> str:
    """`document` with the text between the markers replaced by `body` (appended when absent)."""
    block = f"{start}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(document):
        return pattern.sub(lambda _m: block, document, count=1)
    return (document.rstrip() + "\n\n" if document.strip() else "") + block + "\n"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b > 0 else "n/a"


def table(rows: list[Row]) -> list[str]:
    head = ["| variants | examgen wall (s) | examgen CPU (s) | examgen peak RSS (MiB) | floor wall (s) | "
            "floor CPU (s) | AMC wall (s) | AMC CPU (s) | AMC peak RSS (MiB) | examgen CPU / AMC CPU | "
            "examgen wall / floor wall | start-up (s) | (examgen wall − start-up) / floor wall | "
            "empty-cache wall (s) | empty-cache wall / floor wall |", "|" + "---:|" * 15]
    return head + [_row(r) for r in rows]


def _row(r: Row) -> str:
    e, f, a = r.examgen, r.floor, r.amc
    floor_note = f" ({f.failed} of {r.floor_docs} failed)" if f.failed else ""
    amc = [f"{a.wall_s:.1f}", f"{a.cpu_s:.1f}", f"{a.peak_mib:.0f}", ratio(e.cpu_s, a.cpu_s)] if a else ["—"] * 4
    rest = [f"{r.startup.wall_s:.1f}", ratio(e.wall_s - r.startup.wall_s, f.wall_s)] if r.startup else ["—"] * 2
    rest += [f"{r.cold.wall_s:.1f}", ratio(r.cold.wall_s, f.wall_s)] if r.cold else ["—"] * 2
    return (f"| {r.variants} | {e.wall_s:.1f} | {e.cpu_s:.1f} | {e.peak_mib:.0f} | {f.wall_s:.1f}{floor_note} | "
            f"{f.cpu_s:.1f} | {' | '.join(amc)} | {ratio(e.wall_s, f.wall_s)} | {' | '.join(rest)} |")


def section(rows: list[Row], pywork: dict, info: dict[str, str], command: str, runs: int, when: str,
            note: str = "") -> str:
    lines = ["## Build speed (issue 10): examgen, the floor and auto-multiple-choice", "",
             f"`{command}`, run on {when}: {runs} run(s) of each measurement, examgen, floor and AMC "
             "alternating, medians shown. What each column means: benchmarks/README.md.", "", *table(rows), ""]
    lines += [f"Python work per variant (pick, sample, solve and render, no pdflatex, start-up excluded): "
              f"**{pywork['total_ms']:.1f} ms** ({pywork['sample_ms']:.1f} ms sampling and solving, "
              f"{pywork['render_ms']:.1f} ms rendering{'' if pywork['rendered'] else ' (not measured: write_sources changed)'}) "
              f"over {pywork['variants']} variants.", ""]
    if pywork.get("specs"):
        lines += ["The same figure for every spec in bank/exams (`pywork.py N SPEC`):", "",
                  "| spec | questions | ms per variant | sampling and solving | rendering |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {w['spec']} | {w.get('questions', '?')} | {w['total_ms']:.1f} | {w['sample_ms']:.1f} | "
                  f"{w['render_ms']:.1f} |" for w in pywork["specs"]]
        lines += [""]
    lines += ["Floor documents: " + ", ".join(f"{r.variants} variants → {r.floor_docs} .tex" for r in rows) + "."]
    checks = [f"{r.variants} → {r.amc_check}" for r in rows if r.amc_check]
    if checks:
        lines += ["", "AMC output checked with pdfinfo and its layout file: " + "; ".join(checks) + "."]
    lines += ["", "Machine: " + "; ".join(f"{k}: {v}" for k, v in info.items()) + "."]
    lines += ["", note] if note else []
    return "\n".join(lines) + "\n"


def busy_note(loads: list[float], cores: int) -> str:
    """A warning when other work shared the cores: the 1-minute load at start or end above their count."""
    if max(loads, default=0.0) <= cores:
        return ""
    return (f"**The machine was busy** (1-minute load up to {max(loads):.1f} on {cores} cores, from other work "
            "than this benchmark): every time here is inflated by an unknown factor, wall time most. "
            "Rerun on a quiet machine before quoting these figures.")


def machine() -> dict[str, str]:
    """What the figures depend on, including how busy the machine was (it may be shared)."""
    return {"nproc": str(os.cpu_count()), "CPU": cpu_model(Path("/proc/cpuinfo")), "RAM": ram(Path("/proc/meminfo")),
            "OS": os_name(Path("/etc/os-release")) + f" ({platform.release()})",
            "Python": platform.python_version(), "pdflatex": pdflatex_version(),
            "auto-multiple-choice": amc_version(), "load average (1, 5, 15 min) at start": load()}


def cpu_model(path: Path) -> str:
    text = path.read_text() if path.exists() else ""
    found = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    return found.group(1).strip() if found else platform.processor() or "?"


def ram(path: Path) -> str:
    text = path.read_text() if path.exists() else ""
    found = re.search(r"^MemTotal:\s+(\d+) kB", text, re.M)
    return f"{int(found.group(1)) / 1024 ** 2:.1f} GiB" if found else "?"


def os_name(path: Path) -> str:
    text = path.read_text() if path.exists() else ""
    found = re.search(r'^PRETTY_NAME="?([^"\n]+)"?$', text, re.M)
    return found.group(1) if found else platform.system()


def first_line(argv: list[str]) -> str:
    try:
        run = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    return (run.stdout or run.stderr).strip().splitlines()[0] if (run.stdout or run.stderr).strip() else "?"


def pdflatex_version() -> str:
    return first_line(["pdflatex", "--version"])


def amc_version() -> str:
    run = first_line(["dpkg-query", "-W", "-f", "${Version}", "auto-multiple-choice"])
    return run if run != "not found" else "?"


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())
