"""The whole build as JSON (spec, variants, parameters, answers, marks, codes), documented by
docs/schema/build.schema.json. Question records are answer-key.json's, with each part's grading added.

Strict JSON whatever the answers hold: a float beyond its range (a huge exact answer's `value`)
or nan is null, the exact form beside it says what it is; an integer of more digits than Python
writes as a number is its exact digits as a string."""
from __future__ import annotations

import json
import math
from decimal import Decimal
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .figures import Figures
from .items import ExportBuild, ExportVariant, Item, ItemPart

SCHEMA_ID = "https://examgen.invalid/schema/build.schema.json"


def build_record(build: ExportBuild) -> dict[str, Any]:
    spec = build.spec
    return {"$schema": SCHEMA_ID, "exam": spec.id, "title": spec.title, "seed": build.seed,
            "spec": {"institution": spec.institution, "course": spec.course, "date": spec.date,
                     "duration": spec.duration, "marks_unit": spec.marks_unit, "total_marks": spec.total_marks,
                     "instructions": list(spec.instructions), "sections": [s.title for s in spec.sections]},
            "variants": [_variant(v) for v in build.variants]}


def _variant(variant: ExportVariant) -> dict[str, Any]:
    student = {"id": variant.student_id, "name": variant.student_name} if variant.student_id else None
    return {"variant": variant.number, "code": variant.code, "student": student,
            "marks": sum(i.marks for i in variant.items if not any(p.optional for p in i.parts)),
            "questions": [_item(i) for i in variant.items]}


def _item(item: Item) -> dict[str, Any]:
    return {"number": item.number, "template": item.family, "title": item.title, "source": item.source,
            "section": item.section, "marks": item.marks, **item.record, "parts": [_part(p) for p in item.parts]}


def _part(part: ItemPart) -> dict[str, Any]:
    return {"label": part.label, "marks": part.marks, "auto_marks": part.auto_marks,
            "manual_marks": part.marks - part.auto_marks, "optional": part.optional, "kind": part.kind,
            "answer": part.answer, "values": [asdict(v) for v in part.values],
            "choices": [asdict(c) for c in part.choices], "multiple": part.multiple}


def write_json(build: ExportBuild, out: Path, figures: Figures) -> list[Path]:
    path = out / f"{build.spec.id}-build.json"
    text = json.dumps(_strict(build_record(build)), indent=2, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return [path]


INT_BITS = 12_000   # about 3600 digits: below the 4300 Python writes as an int


def _strict(data: Any) -> Any:
    """`data` with nothing strict JSON (or Python's JSON writer) refuses: see the module's docstring."""
    if isinstance(data, dict):
        return {key: _strict(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_strict(value) for value in data]
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, int) and not isinstance(data, bool) and data.bit_length() > INT_BITS:
        return _digits(data)
    return data


def _digits(n: int) -> str:
    """All the digits of a huge int: str() refuses past 4300 of them, Decimal does not."""
    return str(Decimal(n))
