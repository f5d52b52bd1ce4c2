"""auto-multiple-choice LaTeX source: one AMC copy per variant (or student).

Each question of a variant is one AMC element, in exam order: its stem (and figure) once, then
its parts. Multiple choice → `question`/`questionmult` (options in the order the paper prints them);
a number → `questionmultx` with `\\AMCnumericChoices` (the decimals the key states, digits for the
whole part with one spare); a few numbers (a shape, a small matrix) → one such question per number,
each labelled; anything else → `\\AMCOpen`, boxes the marker ticks for none, half or all of the
marks. The answer is in `\\explain`, printed on AMC's corrected sheet only. Optional (PhD-only)
sections come after the counted ones, titled as optional, their questions `\\QuestionIndicative`
(AMC scores them but leaves them out of the total). A roster's copy carries
`\\AMCassociation{<student id>}`, so AMC's automatic association (pre-association) names its student.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from pylatex.utils import escape_latex

from ..errors import SpecError
from ..inputs.roster import printable_chars
from ..inputs.schema import is_slug
from ..models import ExamSpec, Student
from ..render import render_document
from ..tex.latexfmt import person
from ..tex.names import place_names, write_sheet
from .figures import Figures
from .items import ExportBuild, ExportVariant, Item, ItemPart
from .qti import slug, unique
from .values import Value

MAX_NUMBER_BOXES = 4      # more numbers than this (a big matrix) are marked by hand
MAX_DIGITS = 12           # a number needing more boxes than this (with the sign) is marked by hand
BEGIN = re.compile(r"^\\begin\{\w+\}\{[^{}]*\}")
LISTING = re.compile(r"\\begin\{(lstlisting|verbatim)\}(\[[^\]]*\])?(.*?)\\end\{\1\}", re.DOTALL)


def write_amc(build: ExportBuild, out: Path, figures: Figures) -> list[Path]:
    """`<spec>-amc.tex`: run `auto-multiple-choice prepare --mode s` on it (see tests/test_export_amc.py)."""
    spec = build.spec
    students, sheets = _names(build, out)
    variants = [{"group": f"v{v.number:03d}", "code": v.code, "questions": _questions(v, spec),
                 "student": f"{person(students[v.student_id])} ({escape_latex(v.student_id)})" if v.student_id else "",
                 "association": _association(v.student_id) if v.student_id else ""}
                for v in build.variants]
    meta = escape_latex(" · ".join(s for s in (spec.institution, spec.course, spec.session, spec.date, spec.duration) if s))
    tex = render_document("export/amc.tex.j2", title=escape_latex(spec.title), meta=meta,
                          seed=build.seed, variants=variants)
    path = out / f"{spec.id}-amc.tex"
    path.write_text(tex, encoding="utf-8")
    return [path, *sheets]


def _names(build: ExportBuild, out: Path) -> tuple[dict[str, Student], list[Path]]:
    """The roster's students by id, each name pdflatex (AMC's engine) cannot set numbered for its
    own PDF, which XeLaTeX typesets beside the AMC source (examgen-names-<n>.pdf), as the build
    does (tex/names.py)."""
    students = place_names([Student(v.student_id, v.student_name or "") for v in build.variants if v.student_id],
                           printable_chars())
    copies = []
    with tempfile.TemporaryDirectory() as scratch:
        for made in write_sheet(Path(scratch), students):
            copies.append(out / made.name)
            shutil.copyfile(made, copies[-1])
    return {s.id: s for s in students}, copies


def _association(student_id: str) -> str:
    """The id AMC's pre-association matches against the students list: written as it is to AMC's
    layout file, so only a roster id (letters, digits, - and _) may go there."""
    if not is_slug(student_id):
        raise SpecError(f"roster: student id {student_id!r}: AMC's association needs letters, digits, - or _")
    return student_id


def _questions(variant: ExportVariant, spec: ExamSpec | None = None) -> list[str]:
    """One AMC element per question, in exam order, counted sections first and optional ones after:
    a section's title (and intro) before its first question, a stem once before its first part."""
    taken: set[str] = set()
    items = [i for i in variant.items if not _optional(i)] + [i for i in variant.items if _optional(i)]
    headed: set[int] = set()
    elements = []
    for item in items:
        head = "" if item.number in headed else _heading(item, spec)
        headed.add(item.number)
        stem = f"{_safe(item.stem)}\\par\\nopagebreak\n" if item.stem else ""   # kept with its first part
        body = "\n".join(q for part in item.parts for q in _part(item, part, taken))
        elements.append(head + stem + body)
    return elements


def _optional(item: Item) -> bool:
    return any(p.optional for p in item.parts)


def _heading(item: Item, spec: ExamSpec | None) -> str:
    """The section's title, intro and, for an optional section, why and that it is not counted."""
    section = spec.sections[item.number - 1] if spec and 0 < item.number <= len(spec.sections) else None
    title = item.section or f"{spec.question_word if spec else 'Question'} {item.number}"
    why = ""
    if _optional(item):
        reason = escape_latex(section.optional) if section and section.optional else "optional"
        why = f" \\emph{{(Optional: {reason}; not counted in the total)}}"
    intro = f"{_safe(section.intro)}\\par\\nopagebreak\n" if section and section.intro else ""
    return f"\\par\\medskip\\noindent\\textbf{{{title}}}{why}\\par\\nopagebreak\\smallskip\n{intro}"


def _unique(base: str, taken: set[str]) -> str:
    """An AMC question name: plain characters (it sits in LaTeX) and unique in the copy (labels
    that differ only in punctuation get -2, -3 ...), as QTI makes its identifiers."""
    return unique(slug(base), taken)


def _part(item: Item, part: ItemPart, taken: set[str] | None = None) -> list[str]:
    """The part's AMC questions; an optional part's are indicative (scored, not in the total)."""
    questions = _graded(item, part, set() if taken is None else taken)
    return [_indicative(q) for q in questions] if part.optional else questions


def _indicative(question: str) -> str:
    """`\\QuestionIndicative` right after the question's `\\begin{...}{name}`."""
    return BEGIN.sub(lambda m: m.group(0) + "\\QuestionIndicative", question, count=1)


def _graded(item: Item, part: ItemPart, taken: set[str]) -> list[str]:
    """A choice or numbers where AMC can grade them (a hand-graded share in an `\\AMCOpen` after
    them), else one `\\AMCOpen` for the whole part. Of several numbers each has its label
    (a layer's name, a matrix entry) before its grid; one number's grid needs none."""
    name = _unique(f"{item.family}-{part.own or 'q'}", taken)
    text = _safe(f"\\textbf{{{part.label}}} [{part.marks:g}] " + part.question)
    answer = rf"\explain{{Answer: {_safe(part.shuffled_answer)}}}"
    by_hand = [_open(_unique(f"{name}-hand", taken), "The reasoning this part asks for:", part.manual, "")] \
        if part.manual and part.kind != "open" else []
    if part.kind == "choice" and any(c.correct for c in part.choices):
        return [_choice(name, text, part, answer), *by_hand]
    boxed = len(part.values) <= MAX_NUMBER_BOXES and all(map(_boxable, part.values))
    if part.kind in ("numeric", "numeric-multi") and boxed:
        share = part.auto_marks / len(part.values)
        many = len(part.values) > 1
        return [_numeric(_unique(f"{name}-{i}", taken) if many else name, text if i == 1 else "", value, share,
                         (f"{_safe_label(value.label)}:" if value.label else f"Number {i} of {len(part.values)} in your answer:")
                         if many else "", answer if i == 1 else "")
                for i, value in enumerate(part.values, start=1)] + by_hand
    return [_open(name, text, part.marks, answer)]


def _safe_label(label: str) -> str:
    return escape_latex(label)


def _choice(name: str, text: str, part: ItemPart, answer: str) -> str:
    env = "questionmult" if part.multiple else "question"
    options = "\n".join(("\\correctchoice" if c.correct else "\\wrongchoice") + f"{{{_safe(c.text)}}}"
                        for c in part.choices)
    scoring = _multiple_scoring(part) if part.multiple else f"\\scoring{{b={part.auto_marks:g}}}"
    return f"\\begin{{{env}}}{{{name}}}{scoring}\n{text}\n\\begin{{choices}}[o]\n{options}\n\\end{{choices}}\n{answer}\n\\end{{{env}}}"


def _multiple_scoring(part: ItemPart) -> str:
    """examgen's one rule for several correct options, as Moodle and QTI score it: each correct
    option ticked earns marks/(correct options), each wrong one ticked loses marks/(wrong
    options), never below zero (AMC counts ticked correct boxes in NBC, ticked wrong ones in NMC)."""
    marks, right = part.auto_marks, sum(c.correct for c in part.choices)
    wrong = len(part.choices) - right
    loss = f"-{marks:g}*NMC/{wrong}" if wrong else ""   # AMC evaluates it in Perl: no rounded fractions
    return f"\\scoring{{formula={marks:g}*NBC/{right}{loss},p=0,MAX={marks:g}}}"


def _boxable(value: Value) -> bool:
    """AMC's grid holds the number: a float holds it, in few enough digits to tick."""
    return value.gradable and _digits(value) <= MAX_DIGITS


def _digits(value: Value) -> int:
    """Boxes for the whole part (one spare: the grid must not tell the size) and the decimals."""
    return len(str(int(abs(round(value.value, value.decimals))))) + 1 + value.decimals


def _numeric(name: str, text: str, value: Value, marks: float, prompt: str, answer: str) -> str:
    decimals = value.decimals  # from the tolerance, not the text: \frac{1}{3} is typed with four places
    options = f"digits={_digits(value)},decimals={decimals},sign=true,scoreexact={marks:g},scoreapprox=0"
    return (f"\\begin{{questionmultx}}{{{name}}}%\n{text}\n\n{prompt}\n"
            f"\\AMCnumericChoices{{{value.value:.{decimals}f}}}{{{options}}}\n{answer}\n\\end{{questionmultx}}")


def _open(name: str, text: str, marks: float, answer: str) -> str:
    boxes = (f"\\wrongchoice[0]{{0}}\\scoring{{0}}\\wrongchoice[H]{{h}}\\scoring{{{marks / 2:g}}}"
             f"\\correctchoice[F]{{f}}\\scoring{{{marks:g}}}")
    return f"\\begin{{question}}{{{name}}}%\n{text}\n\\AMCOpen{{lines=4}}{{{boxes}}}\n{answer}\n\\end{{question}}"


def _safe(tex: str) -> str:
    """AMC keeps questions in macro arguments, where verbatim cannot live: code becomes typewriter lines."""
    return LISTING.sub(lambda m: _typewriter(m.group(3)), tex)


def _typewriter(code: str) -> str:
    lines = [escape_latex(line).replace(" ", "~") or "~" for line in code.strip("\n").split("\n")]
    return "\n\n{\\ttfamily\\small " + "\\\\\n".join(lines) + "}\n\n"
