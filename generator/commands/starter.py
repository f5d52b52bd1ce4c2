"""`examgen init DIR`: a starter course folder (an exam spec, a numeric template, a README) that
builds as it stands with `--bank DIR`. The files ship in the package (examgen/starter/)."""
from __future__ import annotations

import json
import sys
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from ..errors import OutputError


COVER_FIELDS = (("institution", "Institution"), ("course", "Course (code and name)"),
                 ("session", "Examination session (e.g. term and year)"), ("date", "Date of the exam"))
SPEC = Path("exams") / "course-exam.yaml"


def write_starter(folder: Path, cover: dict[str, str] | None = None) -> list[Path]:
    """Copy the starter files into `folder`, which must not exist or be empty; return them. The
    spec's institution, course, session and date are `cover`'s, else asked for at a terminal; with
    no terminal they stay empty, with comments saying to fill them in (issue 25: no placeholders)."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise OutputError(f"{folder}: already exists and is not an empty folder")
    cover = ask_cover() if cover is None else cover
    written: list[Path] = []
    try:
        _copy(resources.files("examgen").joinpath("starter"), folder, written)
        spec = folder / SPEC
        spec.write_text(fill_cover(spec.read_text(encoding="utf-8"), cover), encoding="utf-8")
    except OSError as err:
        raise OutputError(f"{folder}: cannot write ({err.strerror})") from None
    return written


def ask_cover() -> dict[str, str]:
    """The cover fields, asked one by one when both ends are a terminal; none otherwise (tests, scripts)."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return {}
    answers = {}
    for key, question in COVER_FIELDS:
        try:
            answers[key] = input(f"{question} (Enter to leave empty): ").strip()
        except EOFError:
            break
    return answers


def fill_cover(text: str, cover: dict[str, str]) -> str:
    """The starter spec with each given field filled in (its fill-in comment dropped)."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        key = line.split(":", 1)[0]
        if key in dict(COVER_FIELDS) and line.startswith(f'{key}: ""') and cover.get(key):
            lines[i] = f"{key}: {json.dumps(cover[key], ensure_ascii=False)}\n"   # a double-quoted YAML string
    return "".join(lines)


def _copy(source: Traversable, target: Path, written: list[Path]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for item in sorted(source.iterdir(), key=lambda t: t.name):
        if item.is_dir():
            _copy(item, target / item.name, written)
        elif not item.name.endswith((".pyc", ".py")):
            (target / item.name).write_bytes(item.read_bytes())
            written.append(target / item.name)
