"""The whole build as JSON (spec, variants, parameters, answers, marks, codes), documented by
docs/schema/build.schema.json. Question records are answer-key.json's, with each part's grading added."""
from __future__ import annotations

import json
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
            "marks": sum(i.marks for i in variant.items), "questions": [_item(i) for i in variant.items]}


def _item(item: Item) -> dict[str, Any]:
    return {"number": item.number, "template": item.family, "title": item.title, "source": item.source,
            "section": item.section, "marks": item.marks, **item.record, "parts": [_part(p) for p in item.parts]}


def _part(part: ItemPart) -> dict[str, Any]:
    return {"label": part.label, "marks": part.marks, "kind": part.kind, "answer": part.answer,
            "values": [asdict(v) for v in part.values],
            "choices": [asdict(c) for c in part.choices], "multiple": part.multiple}


def write_json(build: ExportBuild, out: Path, figures: Figures) -> list[Path]:
    path = out / f"{build.spec.id}-build.json"
    path.write_text(json.dumps(build_record(build), indent=2) + "\n", encoding="utf-8")
    return [path]
