"""Marking one part of one variant: the response read as the part's declared kind and compared with
the key (within its stated precision), with what each named mistake of the template gives, and for
a stack of layers' shapes with what the student's own earlier shapes give (follow-through).

Verdicts: correct, mistake (named: what a `@mistake` function of the template gives), follow-through,
wrong, blank, manual (prose, an expression, an unreadable response: graded by hand, with the reason).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..models import Response, Template
from ..render import hand_marks
from . import responses as read
from .expected import Expected, expected_values

BLANKS = ("", "-", "—", "–", "n/a", "na", "none", "blank")
INDEX = re.compile(r"\[[\d,]+\]$")


@dataclass
class PartKey:
    """What marks one part of one variant: the key's values (grouped by what they label), the
    wrong values of the template's named mistakes, the layers for follow-through."""

    code: str
    label: str                  # as printed: 1a
    own: str                    # the template's own label for it ("main" for a one-part question)
    family: str
    number: int                 # the question's number (the label's leading digits)
    marks: float
    manual: float               # the share a grader awards by hand
    response: Response
    groups: dict[str, list[Expected]] = field(default_factory=dict)
    mistakes: list[tuple[str, str, dict[str, list[Expected]]]] = field(default_factory=list)  # name, why, groups
    correct_options: tuple[int, ...] = ()
    option_count: int = 0
    layers: list[dict[str, Any]] | None = None   # a layer stack, for follow-through
    input_shape: list[int] | None = None
    depends: dict[str, Any] | None = None        # {part, answer, credit}: follows from an earlier part
    follow: Any = None                           # recomputes this part's answer from earlier answers
    params: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)

    @property
    def auto(self) -> float:
        """The marks software awards (the rest by hand)."""
        return 0.0 if self.response.kind in ("prose", "expression") else self.marks - self.manual

    @property
    def key_text(self) -> str:
        return "; ".join(f"{name}: {_text(es)}" if name else _text(es) for name, es in self.groups.items())


@dataclass
class Verdict:
    verdict: str                 # correct, mistake, follow-through, wrong, blank, manual
    marks: float | None          # None: waiting for a grader's marks
    detail: str = ""
    mistake: str = ""            # the named mistake, for `mistake`
    entries: dict[str, str] = field(default_factory=dict)   # per labelled value (a layer): its verdict

    @property
    def text(self) -> str:
        return f"mistake: {self.mistake}" if self.verdict == "mistake" else self.verdict


def part_key(template: Template, index: int, code: str, label: str, marks: float, params: dict[str, Any],
             solved: Any, ctx: Any, correct: list[str] | None = None, options: list[str] | None = None) -> PartKey:
    """Everything that marks the part `index` of `template` as this variant asks it."""
    part = template.parts[index]
    response = part.response
    own = part.label or "main"
    manual = hand_marks(part, marks)
    key = PartKey(code, label, own, template.id, int(re.match(r"\d*", label).group() or 0), marks, manual, response)
    if options is not None:   # shown as multiple choice (a choice part, or `as: multiple-choice`)
        key.response = Response("choice", manual=response.manual)
        key.option_count = len(options)
        key.correct_options = tuple(read.ROMAN.index(c) for c in correct or [] if c in read.ROMAN)
        return key
    key.groups = groups(expected_values(response, solved.answers))
    if not key.groups and response.kind in ("number", "values", "shape", "matrix"):
        key.response = Response("prose", manual=response.manual)   # nothing a float grades: by hand
        return key
    if part.depends and response.answers:
        from ..solvers import FOLLOWS

        key.depends, key.params, key.answers = part.depends, dict(params), dict(solved.answers)
        key.follow = FOLLOWS.get(f"{template.solver}:{response.answers[0]}")
    spec = template.mistakes.get(own)
    if spec and spec.get("answer") in response.answers:
        key.mistakes = _mistakes(spec, response, params, solved, ctx, key.groups)
    answer = solved.answers.get(response.answers[0]) if response.answers else None
    if isinstance(answer, dict) and isinstance(params.get("layers"), list) and isinstance(params.get("input"), list):
        names = [str(layer.get("name")) for layer in params["layers"]]
        if [read.key_name(n) for n in names] == [read.key_name(g) for g in key.groups]:
            key.layers, key.input_shape = params["layers"], params["input"]
    return key


def groups(expected: list[Expected]) -> dict[str, list[Expected]]:
    """The key's values by what they label (a layer's name; `A` for every entry of matrix A)."""
    out: dict[str, list[Expected]] = {}
    for e in expected:
        out.setdefault(INDEX.sub("", e.label), []).append(e)
    return out


def _mistakes(spec: dict, response: Response, params: dict, solved: Any, ctx: Any,
              right: dict[str, list[Expected]]) -> list[tuple[str, str, dict[str, list[Expected]]]]:
    from ..solvers.mistakes import MISTAKES

    out = []
    for name in spec.get("use", []):
        mistake = MISTAKES.get(name)
        if mistake is None:
            continue
        try:
            wrong = mistake.fn(dict(params), solved, ctx)
        except Exception:   # a mistake that does not apply to these values (they return None, or fail)
            continue
        if wrong is None:
            continue
        found = groups(expected_values(response, {**solved.answers, spec["answer"]: wrong}))
        if found and found.keys() == right.keys() and not _same(found, right):
            out.append((name, _plain(mistake.why), found))
    return out


def _same(a: dict[str, list[Expected]], b: dict[str, list[Expected]]) -> bool:
    return all(len(a[k]) == len(b[k]) and all(x.value == y.value for x, y in zip(a[k], b[k])) for k in a)


def mark(key: PartKey, text: str) -> Verdict:
    """The verdict and marks of one response to one part."""
    text = text if isinstance(text, str) else ""
    if text.strip().lower() in BLANKS:
        return Verdict("blank", 0.0, "no answer")
    kind = key.response.kind
    if kind in ("prose", "expression"):
        return Verdict("manual", None, f"{kind}: graded by hand")
    if len(text) > read.MAX_LENGTH:
        return Verdict("manual", None, "too long to be a value: graded by hand")
    try:
        verdict = _choice(key, text) if kind == "choice" else _values(key, text)
    except read.Unreadable as err:
        return Verdict("manual", None, f"unreadable, graded by hand: {err}")
    if key.manual and verdict.marks is not None:
        verdict.detail = "; ".join(filter(None, [verdict.detail, f"{key.manual:g} mark(s) by hand not entered"]))
    return verdict


def _choice(key: PartKey, text: str) -> Verdict:
    chosen = read.options(text, key.option_count)
    right = set(key.correct_options)
    if chosen == right:
        return Verdict("correct", key.auto)
    answer = ", ".join(read.ROMAN[i] for i in sorted(right))
    return Verdict("wrong", 0.0, f"chose {', '.join(read.ROMAN[i] for i in sorted(chosen))}; the key is {answer}")


def _values(key: PartKey, text: str) -> Verdict:
    given = _given(key, text)
    right = {name: _matches(given.get(name), es) for name, es in key.groups.items()}
    if all(right.values()):
        return Verdict("correct", key.auto, entries={n: "correct" for n in right} if len(right) > 1 else {})
    for name, why, wrong in key.mistakes:
        if all(_matches(given.get(g), es) for g, es in wrong.items()):
            return Verdict("mistake", 0.0, why, mistake=name)
    if key.layers is not None:
        return _follow_through(key, given, right)
    if len(key.groups) > 1:     # labelled values: each earns its share
        return _shares(key, {n: "correct" if ok else "wrong" if n in given else "missing" for n, ok in right.items()})
    return Verdict("wrong", 0.0, f"gave {_given_text(given)}; the key is {key.key_text}")


def follow_from(key: PartKey, earlier: PartKey, earlier_text: str, text: str) -> Verdict | None:
    """Follow-through from an earlier part (`depends:`): this part recomputed from the student's own
    earlier value (right or wrong) by the family's `@follows` function; None unless it matches."""
    if key.follow is None or not earlier.groups:
        return None
    try:
        own = _given(earlier, earlier_text)
        value = own[next(iter(earlier.groups))]
        recomputed = key.follow(dict(key.params), {**key.answers, key.depends["answer"]: _plain_numbers(value)})
        expected = groups(expected_values(key.response, {**key.answers, key.response.answers[0]: recomputed}))
        given = _given(key, text)
    except Exception:        # an earlier value the follow-up cannot use: no follow-through
        return None
    if expected and all(_matches(given.get(name), es) for name, es in expected.items()):
        return Verdict("follow-through", round(key.auto * key.depends["credit"] * 4) / 4,
                       f"right from your own answer to {earlier.label} ({_given_text(own)})")
    return None


def _plain_numbers(value: Any) -> Any:
    """A read value (Decimals, nested lists) as the solvers' plain numbers."""
    if isinstance(value, (list, tuple)):
        return [_plain_numbers(v) for v in value]
    number = float(value)
    return int(number) if number.is_integer() else number


def _follow_through(key: PartKey, given: dict[str, Any], right: dict[str, bool]) -> Verdict:
    """Each layer's shape is right, or right from the student's own shape before it (when that one
    was wrong), or wrong; every layer earns its share of the marks but a wrong one."""
    from ..solvers.cnn.shapes import refusal
    from ..solvers.handwork import layer_shape

    entries: dict[str, str] = {}
    before, before_ok = [int(x) for x in key.input_shape], True   # the student's shape going in
    for (name, ok), layer in zip(right.items(), key.layers):
        own = given.get(name)
        if ok:
            entries[name] = "correct"
        elif own is None:
            entries[name] = "missing"
        else:
            follows = False
            if not before_ok and before is not None and refusal(layer, before) is None:
                try:
                    follows = [Decimal(v) for v in layer_shape(layer, before)] == read.flat(own)
                except (ValueError, KeyError, TypeError, ZeroDivisionError):
                    follows = False
            entries[name] = "follow-through" if follows else "wrong"
        before_ok = ok
        before = _ints(own) if own is not None else None
    return _shares(key, entries)


def _shares(key: PartKey, entries: dict[str, str]) -> Verdict:
    share = key.auto / len(entries)
    earned = sum(share for v in entries.values() if v in ("correct", "follow-through"))
    states = set(entries.values())
    verdict = "follow-through" if "follow-through" in states else "correct" if states == {"correct"} else "wrong"
    detail = "; ".join(f"{n}: {v}" for n, v in entries.items())
    return Verdict(verdict, round(earned * 4) / 4, detail, entries=entries)


def _given(key: PartKey, text: str) -> dict[str, Any]:
    """The student's values by the key's group names."""
    names = list(key.groups)
    if len(names) == 1:
        pairs = read.labelled(text)
        value = pairs[0][1] if len(pairs) == 1 and read.key_name(pairs[0][0]) in ("", read.key_name(names[0]), "o", "a") \
            else text
        if key.response.kind == "number":
            return {names[0]: read.number(value, key.response.unit)}
        return {names[0]: read.nested(value)}
    by_name = {read.key_name(n): n for n in names}
    out: dict[str, Any] = {}
    pairs = read.labelled(text)
    unlabelled = [v for label, v in pairs if not label]
    for label, value in pairs:
        if label:
            name = by_name.get(read.key_name(label))
            if name is None:
                raise read.Unreadable(f"no value is called {label[:30]!r} (the key has {', '.join(names)})")
            out[name] = read.nested(value)
    if unlabelled:
        if out or len(unlabelled) != len(names):
            raise read.Unreadable(f"{len(unlabelled)} unlabelled value(s); label each ({', '.join(names)})")
        out = {n: read.nested(v) for n, v in zip(names, unlabelled)}
    return out


def _matches(value: Any, expected: list[Expected]) -> bool:
    if value is None:
        return False
    numbers = read.flat(value)
    return len(numbers) == len(expected) and all(abs(x - e.value) <= e.tolerance for x, e in zip(numbers, expected))


def _ints(value: Any) -> list[int] | None:
    numbers = read.flat(value)
    return [int(x) for x in numbers] if all(x == x.to_integral_value() for x in numbers) else None


def _text(expected: list[Expected]) -> str:
    return expected[0].text if len(expected) == 1 else "[" + ", ".join(e.text for e in expected) + "]"


def _given_text(given: dict[str, Any]) -> str:
    def show(v: Any) -> str:
        return "[" + ", ".join(show(x) for x in v) + "]" if isinstance(v, list) else f"{v.normalize():f}"[:20]
    return "; ".join(show(v) for v in given.values())


def _plain(latex: str) -> str:
    """A mistake's explanation without LaTeX markup, for a CSV cell or the report."""
    text = re.sub(r"\\(text|mathrm|emph|textit|textbf|operatorname)\{([^{}]*)\}", r"\2", latex)
    text = re.sub(r"\\(log|ln|exp|max|min|sqrt)\b", r"\1", text)
    text = text.replace("\\", "").replace("$", "").replace("{", "").replace("}", "")
    return " ".join(text.split())


def written(groups: dict[str, list[Expected]], kind: str = "values") -> str:
    """Values as a student writes them (the key's own, or a mistake's): `81936`, `[2, 16, 26, 26]`,
    `[[0, -5], [-6, -21]]`, `conv1: [2, 16, 24, 24]; relu1: [2, 16, 24, 24]`."""
    def one(es: list[Expected]) -> str:
        if len(es) == 1 and not INDEX.search(es[0].label):
            return es[0].text
        rows: dict[str, list[str]] = {}
        for e in es:
            index = INDEX.search(e.label).group()[1:-1].split(",")
            rows.setdefault(index[0] if len(index) == 2 else "", []).append(e.text)
        if "" in rows:
            return "[" + ", ".join(rows[""]) + "]"
        return "[" + ", ".join("[" + ", ".join(r) + "]" for r in rows.values()) + "]"
    if len(groups) == 1 and kind != "values":
        return one(next(iter(groups.values())))
    return "; ".join(f"{name}: {one(es)}" if name else one(es) for name, es in groups.items())
