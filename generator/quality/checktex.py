"""One batched pdflatex run for `examgen check`: a sample of every template in one solutions
document; when it fails, the failing template is named from the `% examgen-template:` markers
(or found by bisection) and the rest compile again without it.
"""
from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from ..compile import Job, compile_tex, culprit, overfull, owner_of_line, pdflatex
from ..tex.document import Page, document_context, size_answer_space
from .layout import CODE_LINE, QUESTION_START, around, forbidden, orphan_problems, pdf_pages_text
from ..errors import LatexError
from ..models import ExamSpec, Instance, Pick
from ..render import render_document, render_section

Sample = tuple[Instance, int]  # an instance and the seed that drew it


def check_spec() -> ExamSpec:
    """A minimal exam spec for the check document's cover and headers."""
    return ExamSpec(id="check", title="examgen check", institution="", course="examgen check",
                    date="", duration="", instructions=(), sections=(), path=Path("check"))


def check_tex(samples: list[Sample]) -> str:
    """The solutions document (question, worked solution and answer) with one section per template."""
    sections = [render_section(i.template.id, "", [i], [Pick(i.template)]) for i, _ in samples]
    size_answer_space(sections, "marks")
    page = Page(1, "CHECK", sections, [""] * len(sections), cover=[], grades=[])
    return render_document("paper.tex.j2", variants=[page], solutions=True, **document_context(check_spec(), 0))


OVERFULL_PT = 10.0  # a box wider than the text block by more than this shows on the printed page


def compile_samples(samples: list[Sample]) -> tuple[dict[str, tuple[int, str | None]], dict[str, str]]:
    """Each template's (seed, LaTeX problem or None), and layout notes (text running into the
    margin); one document, split only on failure."""
    pdflatex()
    outcome = {i.template.id: (seed, None) for i, seed in samples}
    with tempfile.TemporaryDirectory(prefix="examgen-check-") as tmp:
        for template_id, problem in latex_failures(samples, Path(tmp)).items():
            outcome[template_id] = (outcome[template_id][0], problem)
        layout = layout_notes(Path(tmp) / "batch0" / "check.tex")
    return outcome, layout


def layout_notes(tex: Path) -> dict[str, str]:
    """Templates whose text sticks out of the text block, from the batch's log (if it compiled)."""
    log = tex.with_suffix(".log")
    if not tex.with_suffix(".pdf").exists() or not log.exists():
        return {}
    notes: dict[str, str] = {}
    for line, points in overfull(log.read_text(encoding="latin-1"), OVERFULL_PT):
        owner = owner_of_line(tex, line)
        if owner and owner.startswith("question "):
            notes.setdefault(owner.removeprefix("question "), f"layout: a line runs {points:.0f}pt into the margin")
    return {**page_notes(tex.with_suffix(".pdf")), **notes}


def page_notes(pdf: Path) -> dict[str, str]:
    """The layout gate's page problems (a heading at a page foot, forbidden text), by template: the
    check document's question N is the N-th template and its heading carries the template id."""
    text: dict[str, list[str]] = {}
    owner = ""
    for page in pdf_pages_text(pdf):
        for line in page.splitlines():
            if QUESTION_START.match(line) and len(line.split()) > 2:
                owner = line.split()[2]
            if owner and not CODE_LINE.search(line):
                text.setdefault(owner, []).append(" ".join(line.split()))
    notes: dict[str, str] = {}
    for template_id, lines in text.items():
        flat = " ".join(lines)
        hits = forbidden(flat)
        if hits:
            notes[template_id] = f"layout: forbidden text {hits[0].group(0)!r}: {around(flat, hits[0], 30)}"
    for problem in orphan_problems(pdf, pdf.name):
        notes.setdefault(problem.detail.split()[2] if QUESTION_START.match(problem.detail) else "",
                         f"layout: {problem.kind}: {problem.detail}")
    notes.pop("", None)
    return notes


def latex_failures(samples: list[Sample], folder: Path) -> dict[str, str]:
    """The templates whose text stops pdflatex, each with its own error; the others compile.

    The log's marker names a suspect; it is confirmed alone (an error LaTeX notices late, such as
    an unclosed group, points past its cause), else the batch is bisected."""
    failures: dict[str, str] = {}
    folders = (folder / f"batch{n}" for n in itertools.count())
    pending = [samples]
    while pending:
        group = pending.pop()
        error = compile_group(group, next(folders))
        if error is None:
            continue
        if len(group) == 1:
            failures[group[0][0].template.id] = error[1]
            continue
        suspect = [s for s in group if s[0].template.id == error[0]]
        alone = compile_group(suspect, next(folders)) if suspect else None
        if alone:
            failures[error[0]] = alone[1]
            pending.append([s for s in group if s[0].template.id != error[0]])
        else:
            pending += [group[: len(group) // 2], group[len(group) // 2:]]
    return failures


def compile_group(group: list[Sample], folder: Path) -> tuple[str | None, str] | None:
    """Compile one batch; None when it builds, else (template named by the log, error text)."""
    folder.mkdir(parents=True, exist_ok=True)
    tex = folder / "check.tex"
    tex.write_text(check_tex(group), encoding="utf-8")
    try:
        compile_tex(Job(tex, "check document"))
    except LatexError as err:
        log = tex.with_suffix(".log").read_text(encoding="latin-1") if tex.with_suffix(".log").exists() else ""
        return culprit(tex, log), str(err)
    return None
