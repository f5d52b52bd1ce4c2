"""The graders' answer key as CSV: one row per (variant or student, question part).

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return (a roster name such as
`=HYPERLINK(...)`, a bank answer) gets a leading `'` so that a spreadsheet shows it as text instead of
running it as a formula (OWASP's CSV injection advice); a plain number such as `-3` or `-0.25` stays as is.
"""
from __future__ import annotations

import csv
from pathlib import Path

from ..safety.csvcells import inert
from ..tex.latexfmt import roman
from .figures import Figures
from .items import ExportBuild, ExportVariant, Item, ItemPart

COLUMNS = ("exam", "seed", "variant", "code", "student_id", "student_name", "question", "template",
           "kind", "marks", "auto_marks", "manual_marks", "optional", "answer", "labels", "values", "tolerances",
           "correct_options")


def write_csv(build: ExportBuild, out: Path, figures: Figures) -> list[Path]:
    path = out / f"{build.spec.id}-key.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for variant in build.variants:
            for item in variant.items:
                writer.writerows([inert(cell) for cell in _row(build, variant, item, part)] for part in item.parts)
    return [path]


def _row(build: ExportBuild, variant: ExportVariant, item: Item, part: ItemPart) -> list[str]:
    correct = [roman(i) for i, c in enumerate(part.choices) if c.correct]
    return [build.spec.id, str(build.seed), str(variant.number), variant.code, variant.student_id or "",
            variant.student_name or "", part.label, item.family, part.kind, f"{part.marks:g}",
            f"{part.auto_marks:g}", f"{part.marks - part.auto_marks:g}", "yes" if part.optional else "", part.answer,
            " | ".join(v.label for v in part.values), " ".join(v.text for v in part.values),
            " ".join(repr(v.tolerance) for v in part.values), " ".join(correct)]
