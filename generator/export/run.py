"""`export()`: spec → sample (the same variants a build prints) → one intermediate → a format's files.

No PDF is compiled: exports read the sampled, rendered variants. The folder
`<out>/<exam-id>-seed<N>-<format>/` is published only when every file is written.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..bank import Banks, load_bank
from ..build import Quiet, Reporter, sample_variants
from ..codes import load_code_key
from ..errors import ExamgenError
from ..inputs.roster import load_roster
from ..solve import make_context
from ..pick import check_draws
from ..spec import load_spec
from ..write.publish import staging
from .figures import Figures
from .items import ExportBuild, export_build

Writer = Callable[[ExportBuild, Path, Figures], list[Path]]


def writers() -> dict[str, Writer]:
    from .amc import write_amc
    from .canvas import write_canvas
    from .csv_key import write_csv
    from .html import write_html
    from .json_build import write_json
    from .moodle import write_moodle
    from .qti import write_qti
    from .responses import write_responses

    return {"moodle": write_moodle, "qti": write_qti, "amc": write_amc, "csv": write_csv,
            "json": write_json, "html": write_html, "canvas": write_canvas, "responses": write_responses}


FORMATS = ("moodle", "qti", "amc", "csv", "json", "html", "canvas", "responses")


@dataclass
class ExportOptions:
    spec: Path
    seed: int
    format: str
    variants: int = 1
    out: Path = Path("output")
    roster: Path | None = None
    device: str = "cpu"
    banks: Banks | None = None       # --bank folders beside the built-in bank
    force: bool = False              # replace the folder even if examgen did not write it
    code_key: Path | None = None     # the course key for exam codes (default: the user's own)


@dataclass
class ExportResult:
    folder: Path
    files: list[Path]



def export(options: ExportOptions, reporter: Reporter | None = None) -> ExportResult:
    """Sample the variants (one per student with a roster) and write them in one format."""
    if options.format not in FORMATS:
        raise ExamgenError(f"--format {options.format!r}: expected one of {', '.join(FORMATS)}")
    spec = load_spec(options.spec)
    students = load_roster(options.roster) if options.roster else None
    count = len(students) if students else options.variants
    code_key = load_code_key(options.code_key)
    bank = load_bank(options.banks)
    check_draws(spec, bank)
    variants = sample_variants(spec, bank, options.seed, count, make_context(options.device),
                               reporter or Quiet(), students=students, code_key=code_key.secret)
    build = export_build(spec, options.seed, variants)
    final = Path(options.out) / f"{spec.id}-seed{options.seed}-{options.format}"
    with staging(final, force=options.force) as stage:
        files = writers()[options.format](build, stage, Figures())
    return ExportResult(final, [final / f.relative_to(stage) for f in files])
