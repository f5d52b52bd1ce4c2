"""Shared set-up for the export tests: the demo exam's variants sampled once, with a two-student roster."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from examgen.bank import load_bank
from examgen.build import Quiet, sample_variants
from examgen.export.figures import Figures
from examgen.export.items import ExportBuild, export_build
from examgen.models import Variant
from examgen.inputs.paths import ROOT
from examgen.models import Student
from examgen.solve import make_context
from examgen.spec import load_spec

SPECS = sorted((ROOT / "bank" / "exams").glob("*.yaml"))
DEMO = ROOT / "bank" / "exams" / "demo.yaml"
FULL = ROOT / "bank" / "exams" / "default.yaml"   # every kind of part: numbers, matrices, choices, open
STUDENTS = [Student("s-ada", "Ada Lovelace"), Student("s-alan", "Alan Turing")]
FIGURES = Figures()   # one figure cache for every test: each TikZ source compiles once


@lru_cache(maxsize=16)
def sampled(spec: Path, count: int, roster: bool = False, seed: int = 7) -> tuple[list[Variant], ExportBuild]:
    """The variants a build would print, and the export intermediate built from them."""
    exam = load_spec(spec)
    variants = sample_variants(exam, load_bank(), seed, count, make_context("cpu"), Quiet(),
                               students=STUDENTS if roster else None)
    return variants, export_build(exam, seed, variants)


def write(writer, build: ExportBuild, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return writer(build, folder, FIGURES)
