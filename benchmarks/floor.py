"""The floor (issue 10): the .tex files a build leaves, each compiled ONCE by bare pdflatex, in
parallel over the cores. Nothing here knows examgen's file names: the sources are discovered in
the build's output folder, so the floor follows whatever layout the build has today."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from measure import Command, Sample, timed

INCLUDE_PDF = re.compile(r"^[^%\n]*\\includepdf\b", re.M)


def build_folder(out: Path) -> Path:
    """The one published folder a build wrote under `out` (staging leftovers start with a dot)."""
    found = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")]
    if len(found) != 1:
        raise RuntimeError(f"{out}: expected one build folder, found {[p.name for p in found]}")
    return found[0]


def is_pdf_bundle(tex: str) -> bool:
    """A document that only pastes PDFs in (pdfpages), which the floor leaves out."""
    return bool(INCLUDE_PDF.search(tex))


def floor_sources(folder: Path) -> list[Path]:
    """Every .tex under `folder` that typesets something itself, in a stable order."""
    sources = sorted(folder.rglob("*.tex"))
    return [p for p in sources if not is_pdf_bundle(p.read_text(encoding="utf-8", errors="replace"))]


def floor_commands(sources: list[Path], templates: Path) -> list[Command]:
    """One bare pdflatex pass per source, in the source's own folder; TeX may find the project's
    templates (a class or style file) like the build does."""
    env = {"TEXINPUTS": f".:{templates}//:", "SOURCE_DATE_EPOCH": "0"}
    return [Command(["pdflatex", "-interaction=batchmode", "-no-shell-escape", p.name], str(p.parent), env)
            for p in sources]


def time_floor(folder: Path, scratch: Path, templates: Path, jobs: int) -> tuple[Sample, int]:
    """Copy the build folder to `scratch`, compile its sources once each; (measurement, documents)."""
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(folder, scratch)
    for pdf in scratch.rglob("*.pdf"):
        if pdf.with_suffix(".tex").exists():
            pdf.unlink()  # pdflatex rewrites it anyway; a failure must not look like a success
    sources = floor_sources(scratch)
    return timed(floor_commands(sources, templates), jobs=jobs), len(sources)


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
