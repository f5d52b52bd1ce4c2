"""Students' names in any script (issue 25.1): what a roster's names cost the build.

    .venv/bin/python benchmarks/names.py [--students 40] [--runs 5] [--base DIR] [--out BENCHMARKS.md]

Builds bank/exams/demo.yaml for a roster of N students, three ways, runs alternating: Latin names
(ASCII and Western diacritics, which pdflatex sets: no XeLaTeX run), the same roster with one name
in each of eight other scripts (Vietnamese, Greek, Cyrillic, Chinese, Japanese, Korean, Arabic,
Hebrew: one XeLaTeX run for them), and, with --base (a checkout of the tree before names in any
script, e.g. `git worktree add /tmp/base <commit>`), the Latin roster on that tree. Wall and CPU
(examgen and every TeX run under it) are medians. Writes (or replaces) the "bench:names" section.
"""
from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Command, Sample, median_sample, timed
from report import machine, replace_section

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench:names:start -->", "<!-- bench:names:end -->"
LATIN = ["José Müller", "Zoë Ångström", "Łukasz Żółć", "Ada Lovelace", "Chloë Brontë", "Søren Kierkegaard",
         "François Noël", "Ines Ibáñez"]
SCRIPTS = ["Nguyễn Thị Ánh Tuyết", "Γιάννης Παπαδόπουλος", "Иван Петров", "李雷", "山田 さくら", "김민준",
           "محمد علي", "דוד כהן"]


def roster(folder: Path, students: int, scripts: bool) -> Path:
    """N students, Latin names; with `scripts`, the first eight in the other scripts."""
    names = [f"{LATIN[i % len(LATIN)]} {i}" for i in range(students)]
    if scripts:
        names[:len(SCRIPTS)] = SCRIPTS
    path = folder / ("scripts.csv" if scripts else "latin.csv")
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([("id", "name"), *((f"s{i:03d}", n) for i, n in enumerate(names))])
    return path


def package_path(tree: Path, folder: Path) -> str:
    """A folder holding `examgen` -> TREE/generator, for PYTHONPATH."""
    link = folder / tree.name.replace("/", "_") / "examgen"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(tree / "generator")
    return str(link.parent)


def build(tree: Path, path: str, roster_csv: Path, out: Path) -> Command:
    return Command([sys.executable, "-m", "examgen", "build", str(tree / "bank" / "exams" / "demo.yaml"),
                    "--seed", "1", "--roster", str(roster_csv), "--out", str(out), "--force"],
                   str(tree), {"PYTHONPATH": path})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--base", type=Path, help="a checkout of the tree before, for the Latin roster")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        latin, scripts = roster(folder, args.students, False), roster(folder, args.students, True)
        here = package_path(ROOT, folder / "here")
        cases = {"Latin names, this tree": build(ROOT, here, latin, folder / "a"),
                 "eight in other scripts, this tree": build(ROOT, here, scripts, folder / "b")}
        if args.base:
            base = args.base.resolve()
            cases = {"Latin names, tree before": build(base, package_path(base, folder / "base"), latin,
                                                       folder / "c"), **cases}
        samples: dict[str, list[Sample]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, command in cases.items():
                sample = timed([command])
                if sample.failed:
                    raise SystemExit(f"{name}: the build failed")
                samples[name].append(sample)
    medians = {name: median_sample(s) for name, s in samples.items()}
    first = next(iter(medians.values()))
    rows = [f"| {name} | {m.wall_s:.2f} ({m.wall_s / first.wall_s - 1:+.0%}) | "
            f"{m.cpu_s:.2f} ({m.cpu_s / first.cpu_s - 1:+.0%}) | "
            f"{statistics.pstdev(s.wall_s for s in samples[name]):.2f} |" for name, m in medians.items()]
    box = machine()
    where = f"{box['nproc']} cores ({box['CPU']}), load {box['load average (1, 5, 15 min) at start']}"
    command = f"benchmarks/names.py --students {args.students} --runs {args.runs}" + (
        f" --base {args.base}" if args.base else "")
    body = "\n".join([
        "## Students' names in any script (issue 25)", "",
        f"`{command}` on {where}: bank/exams/demo.yaml built for a roster of {args.students} students,",
        "runs alternating; medians (change against the first row).", "",
        "| roster | wall (s) | CPU (s) | wall sd (s) |", "|---|---:|---:|---:|", *rows, ""])
    text = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    args.out.write_text(replace_section(text, body, START, END), encoding="utf-8")
    print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
