"""The AMC source run through `auto-multiple-choice prepare` (Debian package): the copies compile, one per
variant with its code and student, and AMC's own scoring data holds the key's numbers and choices."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from examgen.export.amc import write_amc

from conftest import pdf_text
from export_support import FULL, SPECS, sampled, write

AMC = shutil.which("auto-multiple-choice")
# `make test` installs it (scripts/install-test-tools.sh); only a bare pytest elsewhere may skip.
pytestmark = pytest.mark.skipif(AMC is None and not os.environ.get("CI"), reason="auto-multiple-choice is not installed")


def prepare(source: Path) -> Path:
    """`prepare --mode s` (question sheets, corrected sheets) then `--mode b` (scoring data)."""
    project = source.parent / "project"
    (project / "data").mkdir(parents=True)
    for mode in (["--mode", "s", "--prefix", f"{project}/"], ["--mode", "b"]):
        run = subprocess.run([AMC, "prepare", *mode, "--data", str(project / "data"), "--with", "pdflatex",
                              "--epoch", "0", source.name], cwd=source.parent, capture_output=True, text=True,
                             timeout=600)
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return project


def test_copies_compile_with_codes_students_and_the_keys_numbers(tmp_path: Path) -> None:
    _, build = sampled(FULL, 2, True)
    [source] = write(write_amc, build, tmp_path)
    project = prepare(source)
    sheets = pdf_text(project / "sujet.pdf")
    for variant in build.variants:
        assert variant.code in sheets and variant.student_name in sheets
    db = sqlite3.connect(project / "data" / "scoring.sqlite")
    titles = dict(db.execute("select question, title from scoring_title"))
    copies = {row[0] for row in db.execute("select student from scoring_question")}
    assert copies == {1, 2}
    numbers = {(s, titles[q]): dict(kv.split("=", 1) for kv in strategy.split(",") if "=" in kv)
               for s, q, strategy in db.execute("select student, question, strategy from scoring_question")}
    checked = 0
    for copy, variant in enumerate(build.variants, start=1):
        for item in variant.items:
            for part in item.parts:
                name = f"{item.family}-{part.own or 'q'}"
                if part.kind == "numeric":
                    assert float(numbers[(copy, name)]["numval"]) == pytest.approx(part.values[0].value)
                    checked += 1
                if part.kind == "choice":
                    q = next(k for k, t in titles.items() if t == name)
                    marked = [c for _, c in sorted(db.execute(
                        "select answer, correct from scoring_answer where student=? and question=? and answer > 0",
                        (copy, q)))]  # answer 0: the "none of these" box completemulti adds
                    assert marked == [int(c.correct) for c in part.choices]
                    checked += 1
    assert checked


@pytest.mark.slow
@pytest.mark.parametrize("spec", [s for s in SPECS if s != FULL], ids=lambda p: p.stem)
def test_every_spec_compiles_in_amc(spec: Path, tmp_path: Path) -> None:
    _, build = sampled(spec, 1)
    [source] = write(write_amc, build, tmp_path)
    project = prepare(source)
    assert (project / "sujet.pdf").stat().st_size > 0 and (project / "corrige.pdf").stat().st_size > 0


@pytest.mark.parametrize("printed, places, key", [
    ("12", 0, "12"), ("2.50", 2, "2.50"), (r"\frac{1}{3}", 4, "0.3333"), (r"-\frac{7}{4}", 4, "-1.7500"),
])
def test_numeric_keys_keep_the_places_the_printed_answer_has(printed: str, places: int, key: str) -> None:
    """AMC grades the digits typed: a fraction printed exactly is still typed with four places."""
    from examgen.export.amc import _numeric
    from examgen.export.values import printed_values

    [value] = printed_values(f"${printed}$")
    assert value.decimals == places
    assert f"\\AMCnumericChoices{{{key}}}" in _numeric("q", "", value, 1.0, "", "")
