"""Load and validate the question bank: one YAML file per question family, its name the id."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from .inputs.domains import check_domain
from .errors import BankError
from .models import MarkingPoint, Option, Part, Preset, Source, Template
from .inputs.paths import bank_dir
from .inputs.response import parse_response
from .inputs.schema import Problems, check_marks, expect, is_slug, one_of, unknown_keys
from .solvers import RULES, SOLVERS, load_all
from .safety.texguard import without_listings
from .safety.yamlsafe import read_yaml

KINDS = ("numeric", "symbolic", "multiple-choice", "short-answer", "essay", "code")
PAPERS = ("glasgow-compsci5103-2023", "imperial-comp70010-2023", "oslo-in5400-2022",
          "oslo-inf5860-2019", "fast-cs4045", "original")
TOP_KEYS = {"id", "title", "topics", "kind", "source", "also_in", "params", "rules", "solver",
            "presets", "question", "solution", "marks", "answer", "parts", "options", "draw",
            "shuffle", "multiple", "space", "answers", "degenerate", "balance", "mistakes", "marking",
            "effort", "response", "alt"}
PART_KEYS = {"label", "marks", "question", "solution", "answer", "options", "draw", "shuffle",
             "multiple", "space", "when", "marking", "response", "depends"}


JINJA_TAGS = re.compile(r"<%.*?%>|<<.*?>>|<#.*?#>", re.S)
BARE_PERCENT = re.compile(r"(?<!\\)%(.*)")


PART_LABEL = re.compile(r"[a-z0-9]{1,8}")   # names files, ids and AMC question names


def check_comments(problems: Problems, text: Any, where: str) -> None:
    """A bare % in bank text starts a LaTeX comment and silently drops the rest of its line.

    A % that ends a line (LaTeX's way to join lines, common in TikZ) hides nothing and is kept."""
    if not isinstance(text, str):
        return
    latex = JINJA_TAGS.sub(lambda m: "\n" * m.group().count("\n"), without_listings(text))
    for number, line in enumerate(latex.splitlines(), 1):
        found = BARE_PERCENT.search(line)
        if found and found.group(1).strip():
            problems.add(where, f"line {number}: a bare % hides {found.group(1).strip()[:30]!r} "
                                "(LaTeX reads it as a comment); write \\% for a percent sign")


def _source(problems: Problems, data: Any, where: str) -> Source | None:
    if not isinstance(data, dict):
        problems.add(where, "expected a mapping with paper and question")
        return None
    paper = expect(problems, data, "paper", str, where)
    question = expect(problems, data, "question", (str, int), where)
    one_of(problems, paper, PAPERS, f"{where}.paper")
    return Source(paper, str(question)) if paper and question is not None else None


def _entries(problems: Problems, data: Any, where: str, keys: set[str], what: str) -> Iterator[tuple[str, dict]]:
    """Each mapping of a list field with its place (`where[i]`): none for an absent field (None);
    a field that is not a non-empty list, or an entry that is not a mapping, is a problem."""
    if data is None:
        return
    if not isinstance(data, list) or not data:
        problems.add(where, f"expected a non-empty list of mappings with {what}")
        return
    for i, item in enumerate(data):
        w = f"{where}[{i}]"
        if not isinstance(item, dict):
            problems.add(w, f"expected a mapping with {what}")
            continue
        unknown_keys(problems, item, keys, w)
        yield w, item


def _options(problems: Problems, data: Any, where: str) -> tuple[Option, ...]:
    out = []
    for w, item in _entries(problems, data, where, {"text", "correct", "why"}, "text and correct"):
        text = expect(problems, item, "text", str, w)
        correct = expect(problems, item, "correct", bool, w)
        why = expect(problems, item, "why", str, w, required=False) or ""
        check_comments(problems, text, f"{w}.text")
        check_comments(problems, why, f"{w}.why")
        if text is not None and correct is not None:
            out.append(Option(text, correct, why))
    return tuple(out)


def _marking(problems: Problems, data: Any, marks: float | None, where: str) -> tuple[MarkingPoint, ...]:
    """A part's marking guide: a list of {points, text}; its points must add up to the part's marks."""
    out = []
    for w, item in _entries(problems, data, where, {"points", "text"}, "points and text"):
        points = expect(problems, item, "points", float, w)
        text = expect(problems, item, "text", str, w)
        if points is not None and points <= 0:
            problems.add(f"{w}.points", f"must be positive, got {points:g}")
        elif points is not None and text is not None:
            out.append(MarkingPoint(float(points), text))
    total = sum(p.points for p in out)
    if marks is not None and out and len(out) == len(data) and abs(total - marks) > 1e-9:
        problems.add(where, f"the points add up to {total:g}, not the part's {marks:g} marks")
    return tuple(out)


def _part(problems: Problems, data: dict, where: str, label: str | None) -> Part | None:
    marks = expect(problems, data, "marks", float, where)
    question = expect(problems, data, "question", str, where)
    solution = expect(problems, data, "solution", str, where, required=False) or ""
    options = _options(problems, data.get("options"), f"{where}.options")
    answer = expect(problems, data, "answer", str, where, required=not options)
    draw = expect(problems, data, "draw", int, where, required=False)
    if draw is not None and draw < 1:
        problems.add(f"{where}.draw", f"expected at least 1, got {draw}")
    check_marks(problems, marks, f"{where}.marks" if where else "marks")
    for key, text in (("question", question), ("solution", solution), ("answer", answer)):
        check_comments(problems, text, f"{where}.{key}" if where else key)
    multiple = bool(expect(problems, data, "multiple", bool, where, required=False))
    if options and not multiple and sum(o.correct for o in options) < 1:
        problems.add(f"{where}.options", "a single-answer question needs a correct option")
    if options and draw and draw > len(options):
        problems.add(f"{where}.draw", f"draws {draw} of only {len(options)} options")
    when = expect(problems, data, "when", str, where, required=False)
    marking = _marking(problems, data.get("marking"), marks, f"{where}.marking" if where else "marking")
    response = parse_response(problems, data.get("response"), where, marks, bool(options))
    depends = _depends(problems, data.get("depends"), f"{where}.depends" if where else "depends", label)
    if marks is None or question is None:
        return None
    return Part(label, float(marks), question, solution, answer or "<< correct >>", options, draw,
                bool(data.get("shuffle", True)), multiple, str(data["space"]) if "space" in data else None, when,
                marking, response, depends)


def _check_depends(problems: Problems, parts: tuple[Part, ...], solver: str | None) -> None:
    """A part follows from an earlier part, through a `@follows` function of the template's solver."""
    from .solvers import FOLLOWS

    earlier: list[str | None] = []
    for i, part in enumerate(parts):
        if part.depends:
            if part.depends["part"] not in earlier:
                problems.add(f"parts[{i}].depends.part", f"{part.depends['part']!r} is not an earlier part")
            wanted = f"{solver}:{part.response.answers[0] if part.response.answers else ''}"
            if wanted not in FOLLOWS:
                problems.add(f"parts[{i}].depends", f"no @follows({solver!r}, ...) recomputes this part's answer")
        earlier.append(part.label)


def _depends(problems: Problems, data: Any, where: str, label: str | None) -> dict[str, Any] | None:
    """`depends: {part: a, answer: output, credit: 1}`: this part's answer is computed from part a's
    `output`; a student who works on correctly from their own wrong value earns `credit` of the
    graded marks (follow-through, `examgen grade`; a `@follows` function recomputes it)."""
    if data is None:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("part"), str) or not isinstance(data.get("answer"), str):
        problems.add(where, "expected {part: <earlier part's label>, answer: <its answer>, credit: 0 to 1}")
        return None
    credit = data.get("credit", 1)
    if isinstance(credit, bool) or not isinstance(credit, (int, float)) or not 0 < credit <= 1:
        problems.add(f"{where}.credit", "expected the share of the marks follow-through earns, above 0 and at most 1")
    if data["part"] == label:
        problems.add(f"{where}.part", "a part cannot follow from itself")
    return {"part": data["part"], "answer": data["answer"], "credit": float(credit) if isinstance(credit, (int, float)) else 1.0}


def _parts(problems: Problems, data: dict) -> tuple[Part, ...]:
    if "parts" not in data:
        stem = {k: v for k, v in data.items() if k in PART_KEYS}
        part = _part(problems, stem, "", None)
        return (part,) if part else ()
    if not isinstance(data["parts"], list) or not data["parts"]:
        problems.add("parts", "expected a non-empty list")
        return ()
    out = []
    for i, item in enumerate(data["parts"]):
        if isinstance(item, dict) and item.get("when") is not None and item["when"] not in (data.get("params") or {}):
            problems.add(f"parts[{i}].when", f"{item['when']!r} is not a parameter of this template")
        if not isinstance(item, dict):
            problems.add(f"parts[{i}]", "expected a mapping")
            continue
        unknown_keys(problems, item, PART_KEYS, f"parts[{i}]")
        label = str(item.get("label", chr(97 + i)))
        if not PART_LABEL.fullmatch(label):
            problems.add(f"parts[{i}].label", f"{label[:40]!r}: a part label is 1 to 8 lowercase letters or digits (a, b, ii)")
        part = _part(problems, item, f"parts[{i}]", label)
        out.append(part) if part else None
    return tuple(out)


def _presets(problems: Problems, data: Any, params: dict) -> dict[str, Preset]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        problems.add("presets", "expected a mapping of preset name to values")
        return {}
    out = {}
    for name, body in data.items():
        where = f"presets.{name}"
        if not isinstance(body, dict):
            problems.add(where, "expected a mapping with params")
            continue
        unknown_keys(problems, body, {"params", "paper_answers", "erratum", "doc"}, where)
        values = expect(problems, body, "params", dict, where, required=bool(params)) or {}
        for key in values:
            if key not in params:
                problems.add(f"{where}.params.{key}", "not a parameter of this template")
        answers = expect(problems, body, "paper_answers", dict, where, required=False) or {}
        erratum = expect(problems, body, "erratum", str, where, required=False)
        out[str(name)] = Preset(str(name), values, answers, erratum)
    return out


def _params(problems: Problems, data: Any) -> dict[str, dict]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        problems.add("params", "expected a mapping of parameter name to domain")
        return {}
    for i, (name, domain) in enumerate(data.items()):
        check_domain(problems, str(name), domain, {str(n): data[n] for n in list(data)[:i]})
    return {str(k): v for k, v in data.items()}


def _answer_exprs(problems: Problems, data: dict, params: dict) -> dict[str, str]:
    """`answers: {name: "expression of the parameters"}`, checked without evaluating anything."""
    from .solvers.expressions import check_answer_exprs

    exprs = expect(problems, data, "answers", dict, required=False) or {}
    exprs = {str(k): str(v) for k, v in exprs.items()}
    for where, what in check_answer_exprs(exprs, params):
        problems.add(where, what)
    return exprs


def _with_expression_working(parts: tuple[Part, ...], exprs: dict[str, str]) -> tuple[Part, ...]:
    """A part without a written solution shows each answer expression's working instead."""
    shown = r" \\ ".join(f"<< {n}_formula >> &= << {n}_working >> = << {n} | num >>" for n in exprs)
    default = rf"\begin{{align*}} {shown} \end{{align*}}" if exprs else ""
    return tuple(replace(p, solution=default) if default and not p.solution else p for p in parts)


def _no_solver(name: str, untrusted: Path | None) -> str:
    if untrusted is None:
        return f"no solver named {name!r}"
    return (f"no built-in solver named {name!r}; {untrusted} is Python code, loaded only with "
            f"--trust-bank-code {untrusted.parent}")


def parse_template(path: Path, data: Any, untrusted: Path | None = None) -> Template:
    """Validate one template file and build it; every problem is reported at once.

    `untrusted` is the bank folder's solvers.py when it was not loaded (the folder is not trusted)."""
    problems = Problems(str(path))
    if not isinstance(data, dict):
        raise BankError(f"{path}: expected a mapping of template fields")
    load_all()
    unknown_keys(problems, data, TOP_KEYS)
    tid = expect(problems, data, "id", str)
    if tid is not None and tid != path.stem:
        problems.add("id", f"{tid!r} must match the file name {path.stem!r}")
    elif tid is not None and not is_slug(tid):
        problems.add("id", f"{tid[:40]!r} must be a plain name: letters, digits, - and _")
    title = expect(problems, data, "title", str)
    topics = expect(problems, data, "topics", list) or []
    kind = expect(problems, data, "kind", str)
    one_of(problems, kind, KINDS, "kind")
    source = _source(problems, data.get("source"), "source")
    also = [_source(problems, s, f"also_in[{i}]") for i, s in enumerate(data.get("also_in") or [])]
    params = _params(problems, data.get("params"))
    rules = expect(problems, data, "rules", list, required=False) or []
    for name in rules:
        if not isinstance(name, str) or name not in RULES:
            problems.add("rules", f"no rule named {str(name)[:40]!r}")
    exprs = _answer_exprs(problems, data, params)
    solver = expect(problems, data, "solver", str, required=kind in ("numeric", "symbolic") and not exprs)
    if solver is not None and solver not in SOLVERS:
        problems.add("solver", _no_solver(solver, untrusted))
    presets = _presets(problems, data.get("presets"), params)
    stem = expect(problems, data, "question", str, required=False) if "parts" in data else ""
    stem_solution = expect(problems, data, "solution", str, required=False) if "parts" in data else ""
    parts = _with_expression_working(_parts(problems, data), exprs)
    quality = _quality(problems, data, parts)
    _check_depends(problems, parts, solver)
    effort = _effort(problems, data, solver or (exprs and "answers"))
    check_comments(problems, stem, "question")
    check_comments(problems, stem_solution, "solution")
    alt = _alt(problems, data.get("alt"), [stem or "", *(p.question for p in parts)])
    if problems:
        raise BankError(problems.message())
    return Template(tid, title, tuple(map(str, topics)), kind, source, params, tuple(rules), solver,
                    presets, stem or "", parts, path, tuple(s for s in also if s), stem_solution or "",
                    exprs, effort=effort, alt=alt, **quality)


FIGURE = re.compile(r"\\begin\s*\{tikzpicture\}")
ALT_NOT_PLAIN = re.compile(r"[\\$%]")


def figure_count(text: str) -> int:
    """The figures (tikzpictures) a piece of bank text draws; listings only print the words."""
    return len(FIGURE.findall(without_listings(text)))


def _alt(problems: Problems, data: Any, questions: list[str]) -> tuple[str, ...]:
    """`alt:` what each figure of the question (stem and parts, not solutions) shows, one plain-text
    string per tikzpicture in text order: the screen exports' picture descriptions. Jinja may
    fill in parameters; LaTeX may not (a screen reader reads it as it stands)."""
    figures = sum(figure_count(q) for q in questions)
    if data is None:
        if figures:
            problems.add("alt", f"the question draws {figures} figure{'s' if figures > 1 else ''}: give "
                                "`alt:`, a list of what each shows (for screen readers), in text order")
        return ()
    if not isinstance(data, list) or not all(isinstance(a, str) and a.strip() for a in data):
        problems.add("alt", "expected a list of non-empty strings, one per figure of the question")
        return ()
    for i, text in enumerate(data):
        found = ALT_NOT_PLAIN.search(JINJA_TAGS.sub("", text))
        if found:
            problems.add(f"alt[{i}]", f"{found.group()!r}: alt text is plain text, read aloud as it stands "
                                      "(no LaTeX: write x·y, not $x\\cdot y$; 'per cent', not %)")
    if len(data) != figures:
        problems.add("alt", f"{len(data)} alt text{'s' if len(data) != 1 else ''} for the {figures} "
                            f"figure{'s' if figures != 1 else ''} (tikzpictures) of the question")
    return tuple(data)


def _effort(problems: Problems, data: dict, computed: str | None) -> float | None:
    """The family's median effort (solvers/effort.py): a positive number, for a computed family."""
    if "effort" not in data:
        return None
    value = data["effort"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1e6:
        problems.add("effort", f"expected a positive number (the family's median effort), got {str(value)[:40]!r}")
        return None
    if not computed:
        problems.add("effort", "only a family with a solver or answer expressions has an effort")
        return None
    return float(value)


def _quality(problems: Problems, data: dict, parts: tuple[Part, ...]) -> dict[str, Any]:
    """The `degenerate`, `balance` and `mistakes` declarations (checked by their own modules)."""
    from .inputs.schema import balance_problems
    from .solvers.degenerate import declaration_problems
    from .solvers.mistakes import mistakes_problems

    out: dict[str, Any] = {}
    checks = (("degenerate", declaration_problems, ()), ("balance", balance_problems, {}),
              ("mistakes", lambda v: mistakes_problems(v, parts), {}))
    for key, check, empty in checks:
        value = data.get(key, empty)
        found = check(value)
        for problem in found:
            problems.add(key, problem)
        out[key] = value if not found else empty
    return out


def load_template_file(path: Path, untrusted: Path | None = None) -> Template:
    return parse_template(path, read_yaml(path), untrusted)


@dataclass(frozen=True)
class Banks:
    """Which banks to read: the built-in one plus the instructor's folders (`--bank DIR`), and
    which of those folders' `solvers.py` may run (`--trust-bank-code DIR`, naming each folder)."""

    folders: tuple[Path, ...] = ()
    trusted: tuple[Path, ...] = ()

    def trusts(self, root: Path) -> bool:
        return root.resolve() in {p.resolve() for p in self.trusted}

    def check(self) -> None:
        """Trust covers only folders that are read: a --trust-bank-code DIR must be a --bank DIR."""
        read = {p.resolve() for p in self.folders}
        for folder in self.trusted:
            if folder.resolve() not in read:
                raise BankError(f"--trust-bank-code {folder}: not one of the --bank folders; trust names "
                                "the folder whose solvers.py may run")


@lru_cache(maxsize=8)
def load_bank(banks: Banks | None = None) -> dict[str, Template]:
    """Every template of the built-in bank and of each --bank folder (exam specs excluded), by id.

    An id defined twice, in one folder or across folders, is an error naming both files."""
    banks = banks or Banks()
    banks.check()
    bank: dict[str, Template] = {}
    for root in (bank_dir(), *banks.folders):
        if not root.is_dir():
            raise BankError(f"{root}: bank folder not found")
        untrusted = _bank_code(root, banks.trusts(root))
        for path in bank_files(root):
            template = load_template_file(path, untrusted)
            if template.id in bank:
                raise BankError(f"{path}: id {template.id!r} is also used by {bank[template.id].path}")
            bank[template.id] = template
    return bank


def bank_files(root: Path) -> list[Path]:
    """Every template file (*.yaml) under a bank folder, `exams` folders (exam specs) apart, in
    path order. Nothing is followed through a symbolic link: a link named *.yaml, or one that leads
    to a folder, is an error naming it (its templates would otherwise be read from outside the bank,
    or silently left out); other links are not bank files and are passed over. Each file is then
    opened by read_yaml, which refuses a link, a FIFO or a device put there meanwhile."""
    found: list[Path] = []
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as err:
            raise BankError(f"{folder}: cannot list the bank folder ({err.strerror})") from None
        for entry in entries:
            path = Path(entry.path)
            if entry.name == "exams":
                continue
            if entry.is_symlink():
                if entry.name.endswith(".yaml") or path.is_dir():
                    raise BankError(f"{path}: is a symbolic link; a bank folder's templates and folders "
                                    "must be real files and folders inside it (copy them in, or pass "
                                    "the other folder with --bank)")
            elif entry.is_dir(follow_symlinks=False):
                folders.append(path)
            elif entry.name.endswith(".yaml"):
                found.append(path)
    return sorted(found)


def _bank_code(root: Path, trusted: bool) -> Path | None:
    """Load a bank folder's solvers.py when trusted; otherwise return its path (None if it has none)."""
    code = root / "solvers.py"
    if not code.is_file():
        return None
    if not trusted:
        return code
    from .safety.trusted import load_solvers_file

    load_all()          # the built-in registrations first, so a clash names the bank's file
    load_solvers_file(code)
    return None


def get_template(template_id: str, bank: dict[str, Template]) -> Template:
    """A template by id, or a clear error that suggests close ids."""
    if template_id in bank:
        return bank[template_id]
    import difflib

    close = difflib.get_close_matches(template_id, list(bank), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else " (see `examgen list`)"
    raise BankError(f"unknown template id {template_id!r}{hint}")
