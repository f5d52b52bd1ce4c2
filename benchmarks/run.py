"""Build speed (issue 10): examgen's build of the demo spec against the floor and auto-multiple-choice.

    make bench                                  # = .venv/bin/python benchmarks/run.py: 1, 10, 40, 200
    .venv/bin/python benchmarks/run.py --variants 1,10,40 --runs 3 [--no-amc]

For each variant count and each run, in this order: `examgen build bank/exams/demo.yaml` (wall,
CPU of the process and its children, peak RSS), the floor on the .tex files that build left, and
auto-multiple-choice preparing as many copies of benchmarks/amc/demo-amc.tex. Then the Python work
per variant in-process. Medians go into BENCHMARKS.md's build-speed section (between its markers);
benchmarks/README.md explains every number.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from amc import ensure_amc, time_amc  # noqa: E402
from floor import build_folder, cores, time_floor  # noqa: E402
from measure import Command, Sample, median_sample, timed  # noqa: E402
from report import Row, busy_note, load, machine, replace_section, section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "bank" / "exams" / "demo.yaml"
SEED = 7
COUNTS = [1, 10, 40, 200]   # issue 10's class sizes


def counts(text: str) -> list[int]:
    """`1,10,40` → [1, 10, 40]; each a positive whole number."""
    values = [int(v) for v in text.split(",") if v.strip()]
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected counts like 1,10,40, got {text!r}")
    return values


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=counts, default=COUNTS,
                        help=f"variant counts (default {','.join(map(str, COUNTS))})")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement; medians are reported")
    parser.add_argument("--no-amc", action="store_true", help="skip auto-multiple-choice")
    parser.add_argument("--pywork-variants", type=int, default=40, help="variants for the Python-work figure")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    return parser.parse_args(argv)


def examgen_build(count: int, out: Path, cache: Path) -> Command:
    """The real command, with the benchmark's own format cache (fmtcache: EXAMGEN_CACHE)."""
    return Command([sys.executable, "-m", "examgen", "build", str(DEMO), "--seed", str(SEED),
                    "--variants", str(count), "--out", str(out)], str(ROOT), {"EXAMGEN_CACHE": str(cache)})


# What a demo build imports before its first solve: the floor has no such start-up. It leaves as
# the examgen command does (os._exit: no interpreter teardown, which after torch and sympy costs more
# than a second and is not part of the build either).
STARTUP = "import os, examgen.build, examgen.cli, sympy; os._exit(0)"


def start_up() -> Command:
    """A fresh Python importing what `examgen build` of the demo loads before it can solve."""
    return Command([sys.executable, "-c", STARTUP], str(ROOT))


def one_run(count: int, scratch: Path, amc: str | None) -> tuple[Sample, Sample, int, Sample | None, str, Sample]:
    """The start-up, examgen, the floor on what it built, then AMC: one run of each for `count` variants."""
    out = scratch / f"examgen-{count}"
    shutil.rmtree(out, ignore_errors=True)
    startup = timed([start_up()])  # just before the build: the same files cached, the same load
    built = timed([examgen_build(count, out, scratch / "cache")])
    if built.failed or startup.failed:
        raise RuntimeError(f"examgen build --variants {count} failed: run it by hand to see why")
    floor, docs = time_floor(build_folder(out), scratch / f"floor-{count}", ROOT / "templates", cores())
    ref, checked = time_amc(amc, scratch / f"amc-{count}", count) if amc else (None, "")
    return built, floor, docs, ref, checked, startup


def cold_build(count: int, scratch: Path) -> Sample:
    """One build with an empty format cache, as the first build on a machine (or after a TeX
    upgrade) runs: it dumps the preamble and stores it, so the timed runs after it find it."""
    shutil.rmtree(scratch / "cache", ignore_errors=True)
    out = scratch / f"examgen-cold-{count}"
    shutil.rmtree(out, ignore_errors=True)
    cold = timed([examgen_build(count, out, scratch / "cache")])
    if cold.failed:
        raise RuntimeError(f"examgen build --variants {count} failed: run it by hand to see why")
    return cold


def measure_count(count: int, runs: int, scratch: Path, amc: str | None) -> Row:
    cold = cold_build(count, scratch)
    results = [one_run(count, scratch, amc) for _ in range(runs)]
    for i, (b, f, _, a, _, s) in enumerate(results, 1):
        amc_text = f", AMC {a.wall_s:.1f} s / {a.cpu_s:.1f} s CPU" if a else ""
        print(f"  {count} variants, run {i} (empty-cache build {cold.wall_s:.1f} s): start-up {s.wall_s:.1f} s, examgen {b.wall_s:.1f} s / {b.cpu_s:.1f} s CPU, "
              f"floor {f.wall_s:.1f} s{amc_text}", flush=True)
    amcs = [r[3] for r in results if r[3] is not None]
    return Row(count, median_sample([r[0] for r in results]), median_sample([r[1] for r in results]),
               results[-1][2], median_sample(amcs) if amcs else None, results[-1][4],
               median_sample([r[5] for r in results]), cold)


def python_work(count: int, spec: Path = DEMO) -> dict:
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "pywork.py"), str(count), str(spec)],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def command_line(argv: list[str]) -> str:
    return " ".join([".venv/bin/python benchmarks/run.py", *map(shlex.quote, argv)])


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    # As a user runs examgen: Python caches bytecode (some sandboxes switch that off, which would
    # charge every build for compiling examgen's modules), as benchmarks/startup.py does.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    args = parse_args(argv)
    info, when, start_load = machine(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.getloadavg()[0]
    amc = None if args.no_amc else ensure_amc()
    rows = []
    with tempfile.TemporaryDirectory(prefix="examgen-bench-") as tmp:
        for count in args.variants:
            print(f"{count} variants...", flush=True)
            rows.append(measure_count(count, args.runs, Path(tmp), amc))
    pywork = python_work(args.pywork_variants)
    pywork["specs"] = [python_work(args.pywork_variants, spec) for spec in sorted(DEMO.parent.glob("*.yaml"))]
    info["load average (1, 5, 15 min) at end"] = load()
    note = busy_note([start_load, os.getloadavg()[0]], cores())
    body = section(rows, pywork, info, command_line(argv), args.runs, when, note)
    old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    args.out.write_text(replace_section(old, body), encoding="utf-8")
    print(body)


if __name__ == "__main__":
    main()
