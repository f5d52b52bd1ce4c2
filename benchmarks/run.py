"""Benchmarks: `examgen check` throughput per template, and `examgen build` of the demo exam with
1, 10 and 30 variants (wall time, peak RSS). Writes BENCHMARKS.md at the repository root.

    .venv/bin/python benchmarks/run.py [--samples 200] [--variants 1,10,30]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMGEN = [sys.executable, "-m", "examgen"]
DEMO = ROOT / "bank" / "exams" / "demo.yaml"


def timed_child(cmd: list[str]) -> dict[str, float]:
    """Run one command in a fresh helper process; its wall time and its children's peak RSS."""
    helper = [sys.executable, __file__, "--child", json.dumps(cmd)]
    out = subprocess.run(helper, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def child(cmd: list[str]) -> None:
    """Inside the helper: run `cmd`, then print wall time and peak RSS of what it ran (KiB on Linux)."""
    start = time.perf_counter()
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if run.returncode not in (0, 1):
        sys.exit(f"{cmd}: exit {run.returncode}\n{run.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"wall_s": wall, "peak_rss_mib": peak / 1024, "rc": run.returncode}))


def check_throughput(samples: int) -> list[dict[str, object]]:
    """Per template: seconds for `samples` seeds (sampling, solving, checkers, rendering; no LaTeX)."""
    from examgen.check import check_bank

    check_bank(samples=1, compile_pdf=False)  # warm up: imports of torch, sympy and the solvers
    report = check_bank(samples=samples, compile_pdf=False)
    return [{"id": t.id, "samples": t.samples, "seconds": t.seconds,
             "rate": t.samples / t.seconds if t.seconds else float("inf"), "ok": t.ok}
            for t in report.templates]


def build_runs(variants: list[int]) -> list[dict[str, float]]:
    rows = []
    for count in variants:
        with tempfile.TemporaryDirectory(prefix="examgen-bench-") as out:
            cmd = [*EXAMGEN, "build", str(DEMO), "--seed", "7", "--variants", str(count), "--out", out]
            rows.append({"variants": count, **timed_child(cmd)})
    return rows


def machine() -> dict[str, str]:
    import torch

    cpu = next((line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")), "?")
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "python": platform.python_version(),
            "torch": torch.__version__, "platform": platform.platform(),
            "load average at start": f"{os.getloadavg()[0]:.1f}"}  # the machine may be shared


def _cpuinfo() -> list[str]:
    path = Path("/proc/cpuinfo")
    return path.read_text().splitlines() if path.exists() else []


def markdown(args: argparse.Namespace, info: dict[str, str], rates: list[dict], full: dict, builds: list[dict]) -> str:
    lines = ["# Benchmarks", "", f"Produced by `.venv/bin/python benchmarks/run.py --samples {args.samples} "
             f"--variants {','.join(map(str, args.variants))}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
             "", "Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()) + ".", "",
             f"## `examgen check` throughput ({args.samples} seeds per template, no LaTeX)", "",
             "| template | samples | seconds | samples/s | passed |", "|---|---:|---:|---:|---|"]
    lines += [f"| {r['id']} | {r['samples']} | {r['seconds']:.2f} | {r['rate']:.0f} | {'yes' if r['ok'] else 'NO'} |"
              for r in rates]
    total = sum(r["seconds"] for r in rates)
    lines += ["", f"All {len(rates)} templates: {total:.1f} s in process. The whole command "
              f"`examgen check --samples {args.samples}` (with the one batched pdflatex run, start-up included) "
              f"took **{full['wall_s']:.1f} s** wall, peak RSS {full['peak_rss_mib']:.0f} MiB, exit status {full['rc']}.",
              "", "## `examgen build bank/exams/demo.yaml --seed 7`", "",
              "| variants | wall time (s) | s per variant | peak RSS (MiB) |", "|---:|---:|---:|---:|"]
    lines += [f"| {b['variants']} | {b['wall_s']:.1f} | {b['wall_s'] / b['variants']:.2f} | {b['peak_rss_mib']:.0f} |"
              for b in builds]
    lines += ["", "Timings are wall clock on this machine as it was (see the load average above); "
              "on a shared machine they vary by a factor of two between runs.",
              "", "Peak RSS is the largest child process (examgen itself or a pdflatex run), from "
              "`resource.getrusage(RUSAGE_CHILDREN)` in a fresh helper process per measurement.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--variants", type=lambda s: [int(v) for v in s.split(",")], default=[1, 10, 30])
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(json.loads(args.child))
    info = machine()
    rates = check_throughput(args.samples)
    full = timed_child([*EXAMGEN, "check", "--samples", str(args.samples)])
    builds = build_runs(args.variants)
    args.out.write_text(markdown(args, info, rates, full, builds), encoding="utf-8")
    print(args.out.read_text())


if __name__ == "__main__":
    main()
