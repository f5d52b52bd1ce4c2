"""Checks shared by the per-paper bank tests: marking points, building a spec twice, reading PDFs back."""
from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import pdf_text
from examgen.bank import load_bank
from examgen.build import BuildOptions, BuildResult, build
from examgen.spec import load_spec


def marking_total(text: str) -> float:
    """The marks a solution's "Marking:" line hands out (alternatives in brackets left out)."""
    line = re.sub(r"\([^()]*\)", "", text.split("Marking:", 1)[1])
    return sum(float(m) for m in re.findall(r"\\emph\{([0-9.]+)\}", line))


def marking_mismatches(spec: Path) -> list[tuple[str, str | None, float, float]]:
    """(template, part, marking total, part marks) wherever a spec's marking line disagrees with its marks."""
    bad = []
    for template_id in (i.template for s in load_spec(spec).sections for i in s.items):
        for part in load_bank()[template_id].parts:
            if "Marking:" in part.solution and marking_total(part.solution) != part.marks:
                bad.append((template_id, part.label, marking_total(part.solution), part.marks))
    return bad


def build_twice(spec: Path, out: Path) -> tuple[BuildResult, BuildResult]:
    """The spec built with two seeds into `out`."""
    return build(BuildOptions(spec=spec, seed=5, out=out)), build(BuildOptions(spec=spec, seed=6, out=out))


def first_key(result: BuildResult) -> list[dict]:
    """The answer key's questions for the first variant."""
    return json.loads((result.folder / "answer-key.json").read_text())["variants"][0]["questions"]


MARGIN_MARKS = re.compile(r"\s\[\d+(?:\.\d+)?(?:\s?%)?\](?=\s)")


def exam_and_solutions(result: BuildResult) -> tuple[str, str]:
    """The text of exam.pdf and solutions.pdf, whitespace collapsed, without the marks in the right
    margin (pdftotext -layout sets them into the line of text beside them)."""
    return tuple(MARGIN_MARKS.sub("", " ".join(pdf_text(result.folder / name).split()))
                 for name in ("exam.pdf", "solutions.pdf"))


def drawn_params(result: BuildResult) -> list[dict]:
    """The parameters of every question that has any."""
    return [q["params"] for q in first_key(result) if q["params"]]


def section_marks(result: BuildResult) -> list[float]:
    """Each section's marks in the first variant, after the spec's overrides."""
    return [s.marks for s in result.variants[0].sections]


def key_entry(result: BuildResult, template_id: str) -> dict:
    """One question's parameters and answers from the first variant's answer key."""
    return next(q for q in first_key(result) if q["template"] == template_id)
