"""Load and validate the question bank: one YAML file per question family, its name the id."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .domains import check_domain
from .errors import BankError
from .models import Option, Part, Preset, Source, Template
from .paths import bank_dir
from .schema import Problems, expect, one_of, unknown_keys
from .solvers import RULES, SOLVERS, load_all

KINDS = ("numeric", "symbolic", "multiple-choice", "short-answer", "essay", "code")
PAPERS = ("glasgow-compsci5103-2023", "imperial-comp70010-2023", "oslo-in5400-2022",
          "oslo-inf5860-2019", "fast-cs4045", "original")
TOP_KEYS = {"id", "title", "topics", "kind", "source", "also_in", "params", "rules", "solver",
            "presets", "question", "solution", "marks", "answer", "parts", "options", "draw",
            "shuffle", "multiple", "space"}
PART_KEYS = {"label", "marks", "question", "solution", "answer", "options", "draw", "shuffle",
             "multiple", "space", "when"}


def read_yaml(path: Path) -> Any:
    """Parse a YAML file safely; a syntax error names the file and line."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise BankError(f"{path}:{where} not valid YAML ({getattr(err, 'problem', err)})") from None
    except OSError as err:
        raise BankError(f"{path}: cannot read ({err.strerror})") from None


def _source(problems: Problems, data: Any, where: str) -> Source | None:
    if not isinstance(data, dict):
        problems.add(where, "expected a mapping with paper and question")
        return None
    paper = expect(problems, data, "paper", str, where)
    question = expect(problems, data, "question", (str, int), where)
    one_of(problems, paper, PAPERS, f"{where}.paper")
    return Source(paper, str(question)) if paper and question is not None else None


def _options(problems: Problems, data: Any, where: str) -> tuple[Option, ...]:
    if data is None:
        return ()
    if not isinstance(data, list) or not data:
        problems.add(where, "expected a non-empty list of options")
        return ()
    out = []
    for i, item in enumerate(data):
        w = f"{where}[{i}]"
        if not isinstance(item, dict):
            problems.add(w, "expected a mapping with text and correct")
            continue
        unknown_keys(problems, item, {"text", "correct", "why"}, w)
        text = expect(problems, item, "text", str, w)
        correct = expect(problems, item, "correct", bool, w)
        why = expect(problems, item, "why", str, w, required=False) or ""
        if text is not None and correct is not None:
            out.append(Option(text, correct, why))
    return tuple(out)


def _part(problems: Problems, data: dict, where: str, label: str | None) -> Part | None:
    marks = expect(problems, data, "marks", float, where)
    question = expect(problems, data, "question", str, where)
    solution = expect(problems, data, "solution", str, where, required=False) or ""
    options = _options(problems, data.get("options"), f"{where}.options")
    answer = expect(problems, data, "answer", str, where, required=not options)
    draw = expect(problems, data, "draw", int, where, required=False)
    multiple = bool(expect(problems, data, "multiple", bool, where, required=False))
    if options and not multiple and sum(o.correct for o in options) < 1:
        problems.add(f"{where}.options", "a single-answer question needs a correct option")
    if options and draw and draw > len(options):
        problems.add(f"{where}.draw", f"draws {draw} of only {len(options)} options")
    when = expect(problems, data, "when", str, where, required=False)
    if marks is None or question is None:
        return None
    return Part(label, float(marks), question, solution, answer or "<< correct >>", options, draw,
                bool(data.get("shuffle", True)), multiple, str(data["space"]) if "space" in data else None, when)


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
        part = _part(problems, item, f"parts[{i}]", str(item.get("label", chr(97 + i))))
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
        check_domain(problems, str(name), domain, [str(n) for n in list(data)[:i]])
    return {str(k): v for k, v in data.items()}


def parse_template(path: Path, data: Any) -> Template:
    """Validate one template file and build it; every problem is reported at once."""
    problems = Problems(str(path))
    if not isinstance(data, dict):
        raise BankError(f"{path}: expected a mapping of template fields")
    load_all()
    unknown_keys(problems, data, TOP_KEYS)
    tid = expect(problems, data, "id", str)
    if tid is not None and tid != path.stem:
        problems.add("id", f"{tid!r} must match the file name {path.stem!r}")
    title = expect(problems, data, "title", str)
    topics = expect(problems, data, "topics", list) or []
    kind = expect(problems, data, "kind", str)
    one_of(problems, kind, KINDS, "kind")
    source = _source(problems, data.get("source"), "source")
    also = [_source(problems, s, f"also_in[{i}]") for i, s in enumerate(data.get("also_in") or [])]
    params = _params(problems, data.get("params"))
    rules = expect(problems, data, "rules", list, required=False) or []
    for name in rules:
        if name not in RULES:
            problems.add("rules", f"no rule named {name!r}")
    solver = expect(problems, data, "solver", str, required=kind in ("numeric", "symbolic"))
    if solver is not None and solver not in SOLVERS:
        problems.add("solver", f"no solver named {solver!r}")
    presets = _presets(problems, data.get("presets"), params)
    stem = expect(problems, data, "question", str, required=False) if "parts" in data else ""
    stem_solution = expect(problems, data, "solution", str, required=False) if "parts" in data else ""
    parts = _parts(problems, data)
    if problems:
        raise BankError(problems.message())
    return Template(tid, title, tuple(map(str, topics)), kind, source, params, tuple(rules), solver,
                    presets, stem or "", parts, path, tuple(s for s in also if s), stem_solution or "")


def load_template_file(path: Path) -> Template:
    return parse_template(path, read_yaml(path))


@lru_cache(maxsize=8)
def load_bank(root: Path | None = None) -> dict[str, Template]:
    """Every template under the bank folder (exam specs excluded), by id."""
    root = root or bank_dir()
    if not root.is_dir():
        raise BankError(f"{root}: bank folder not found")
    bank: dict[str, Template] = {}
    for path in sorted(root.rglob("*.yaml")):
        if "exams" in path.relative_to(root).parts:
            continue
        template = load_template_file(path)
        if template.id in bank:
            raise BankError(f"{path}: id {template.id!r} is also used by {bank[template.id].path}")
        bank[template.id] = template
    return bank


def get_template(template_id: str, bank: dict[str, Template]) -> Template:
    """A template by id, or a clear error that suggests close ids."""
    if template_id in bank:
        return bank[template_id]
    import difflib

    close = difflib.get_close_matches(template_id, list(bank), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else " (see `examgen list`)"
    raise BankError(f"unknown template id {template_id!r}{hint}")
