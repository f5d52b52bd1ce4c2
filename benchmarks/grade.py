"""`examgen grade` on a simulated class (issue 26): the demo's answer-key.json for 3 variants, sampled
in process (no TeX), 200 students simulated as tests/test_grade.py simulates them (answers from the
key with each student's ability, else a named mistake, a wrong value or a blank), then `grade`
timed end to end (key solved again, every response marked, CSVs, report.html, report.pdf and one
feedback PDF per student), median of --runs. Writes (or replaces) only the "bench:grade" section
of BENCHMARKS.md.

    .venv/bin/python benchmarks/grade.py [--students 200] [--runs 5] [--out BENCHMARKS.md]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

from report import replace_section  # noqa: E402

START, END = "<!-- bench:grade:start -->", "<!-- bench:grade:end -->"


def build_folder(scratch: Path, variants: int = 3, seed: int = 7) -> Path:
    """A build folder holding only the demo's answer-key.json."""
    from examgen.bank import load_bank
    from examgen.build import Quiet, sample_variants
    from examgen.inputs.paths import ROOT as PACKAGE_ROOT
    from examgen.solve import make_context
    from examgen.spec import load_spec
    from examgen.write.answer_key import answer_key_json

    spec = load_spec(PACKAGE_ROOT / "bank" / "exams" / "demo.yaml")
    chosen = sample_variants(spec, load_bank(), seed, variants, make_context("cpu"), Quiet())
    folder = scratch / f"demo-seed{seed}"
    folder.mkdir()
    (folder / "answer-key.json").write_text(answer_key_json(spec, seed, chosen), encoding="utf-8")
    return folder


def responses_file(folder: Path, students: int) -> tuple[Path, int]:
    """The simulated class's responses CSV and its number of rows."""
    from examgen.grading.run import load_key
    from test_grade import simulate, write_rows

    rows, _ = simulate(load_key(folder), 11, students=students)
    return write_rows(folder.parent / "responses.csv", rows), len(rows)


def timed(folder: Path, responses: Path, runs: int) -> tuple[float, int]:
    """The median seconds of `grade` and the number of files it wrote."""
    from examgen.grading.run import grade

    times, files = [], 0
    for run in range(runs):
        start = time.perf_counter()
        result = grade(folder, responses, folder.parent / f"grades-{run}")
        times.append(time.perf_counter() - start)
        files = len(result.files)
    return statistics.median(times), files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="examgen-grade-") as tmp:
        folder = build_folder(Path(tmp))
        responses, count = responses_file(folder, args.students)
        seconds, files = timed(folder, responses, args.runs)
    command = ".venv/bin/python benchmarks/grade.py " + " ".join(sys.argv[1:])
    body = "\n".join([
        "## Grading a class (issue 26)",
        "",
        f"`{command.strip()}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: the demo's answer key "
        f"for 3 variants (sampled in process), {args.students} simulated students, `examgen grade` in process "
        f"(key solved again, every response marked, CSVs, report.html, report.pdf, a feedback PDF per student), "
        f"median of {args.runs} runs.",
        "",
        "| students | responses | files written | grade (s) | per student (ms) |",
        "|---:|---:|---:|---:|---:|",
        f"| {args.students} | {count} | {files} | {seconds:.2f} | {1000 * seconds / args.students:.1f} |",
    ])
    old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    args.out.write_text(replace_section(old, body, START, END), encoding="utf-8")
    print(body)


if __name__ == "__main__":
    main()
