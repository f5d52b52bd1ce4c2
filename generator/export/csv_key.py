"""The graders' answer key as CSV: one row per (variant or student, question part)."""
from __future__ import annotations

import csv
from pathlib import Path

from ..tex.latexfmt import roman
from .figures import Figures
from .items import ExportBuild, ExportVariant, Item, ItemPart

COLUMNS = ("exam", "seed", "variant", "code", "student_id", "student_name", "question", "template",
           "kind", "marks", "answer", "values", "tolerances", "correct_options")


def write_csv(build: ExportBuild, out: Path, figures: Figures) -> list[Path]:
    path = out / f"{build.spec.id}-key.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for variant in build.variants:
            for item in variant.items:
                writer.writerows(_row(build, variant, item, part) for part in item.parts)
    return [path]


def _row(build: ExportBuild, variant: ExportVariant, item: Item, part: ItemPart) -> list[str]:
    correct = [roman(i) for i, c in enumerate(part.choices) if c.correct]
    return [build.spec.id, str(build.seed), str(variant.number), variant.code, variant.student_id or "",
            variant.student_name or "", part.label, item.family, part.kind, f"{part.marks:g}", part.answer,
            " ".join(repr(v.value) for v in part.values), " ".join(repr(v.tolerance) for v in part.values),
            " ".join(correct)]
