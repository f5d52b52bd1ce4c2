"""The graders' blank response sheet: one row per variant (or student) and part, with the columns
`examgen grade --responses` reads (code, student, label, response, marks). Graders type what each
student wrote into `response` and, for a part graded by hand, the marks into `marks`; `max` and
`kind` say what the part is worth and what it asks for (grade ignores them)."""
from __future__ import annotations

import csv
from pathlib import Path

from ..safety.csvcells import inert
from .figures import Figures
from .items import ExportBuild

COLUMNS = ("code", "student", "label", "response", "marks", "max", "kind")


def write_responses(build: ExportBuild, out: Path, figures: Figures) -> list[Path]:
    path = out / f"{build.spec.id}-responses.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for variant in build.variants:
            for item in variant.items:
                for part in item.parts:
                    kind = "prose" if part.kind == "open" else part.kind
                    writer.writerow([inert(c) for c in (variant.code, variant.student_id or "", part.label, "", "",
                                                         f"{part.marks:g}", kind)])
    return [path]
