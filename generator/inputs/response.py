r"""A part's `response:` as the bank declares it (models.Response): what the student gives, which
solver answers grade it, at what precision, and what a grader marks by hand.

```yaml
response: {type: number, answer: total}                          # a whole number, graded exactly
response: {type: number, answer: loss, decimals: 2, expression: true}
response: {type: values, answers: [conv1, pool1], labels: [conv1, pool1]}
response: {type: values, answers: [y, grad_z], labels: [y, grad_z y], notation: [y, '\nabla_{\mathbf{z}} y']}
response: {type: matrix, answer: output, decimals: 1}
response: {type: number, answer: window, manual: 1}              # 1 of the part's marks for the reason
response: {type: prose}                                          # graded by hand everywhere
```

A part without one is `choice` when it has options and `prose` otherwise: nothing is graded by
software unless the bank says what and how.
"""
from __future__ import annotations

from typing import Any

from ..models import RESPONSE_KINDS, Response
from .schema import Problems, unknown_keys

KEYS = {"type", "answer", "answers", "labels", "decimals", "expression", "unit", "manual", "notation"}
VALUED = ("number", "values", "shape", "matrix", "expression")


def parse_response(problems: Problems, data: Any, where: str, marks: float | None, has_options: bool) -> Response:
    """The declared response of one part (or the default), every problem added to `problems`."""
    field = f"{where}.response" if where else "response"
    if data is None:
        return Response("choice") if has_options else Response("prose")
    if not isinstance(data, dict):
        problems.add(field, "expected a mapping with type (number, values, shape, matrix, choice, expression, prose)")
        return Response()
    unknown_keys(problems, data, KEYS, field)
    kind = data.get("type")
    if kind not in RESPONSE_KINDS:
        problems.add(f"{field}.type", f"expected one of {', '.join(RESPONSE_KINDS)}, got {str(kind)[:40]!r}")
        return Response()
    answers = _names(problems, data, field)
    if kind in VALUED and not answers:
        problems.add(field, f"a {kind} response names the solver answer it is graded against (answer: NAME)")
    if kind == "number" and len(answers) > 1:
        problems.add(f"{field}.answers", "a number response grades one answer; use type: values for several")
    labels = _strings(problems, data.get("labels", []), f"{field}.labels")
    if kind == "values" and labels and len(labels) != len(answers):
        problems.add(f"{field}.labels", f"{len(labels)} labels for {len(answers)} answers")
    notation = _strings(problems, data.get("notation", []), f"{field}.notation")
    if notation and len(notation) != len(answers):   # labels are what students type; notation what the key prints
        problems.add(f"{field}.notation", f"{len(notation)} notations for {len(answers)} answers")
    decimals = data.get("decimals")
    if decimals is not None and (isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 6):
        problems.add(f"{field}.decimals", "expected a whole number of places from 0 to 6")
        decimals = None
    manual = _manual(problems, data.get("manual", 0), marks, f"{field}.manual")
    if kind == "choice" and not has_options and not answers:
        problems.add(field, "a choice response needs options (or mistakes that make them)")
    return Response(kind, answers, labels, decimals, bool(data.get("expression", False)),
                    str(data.get("unit", "")), manual, notation)


def _names(problems: Problems, data: dict, field: str) -> tuple[str, ...]:
    if "answer" in data and "answers" in data:
        problems.add(field, "give answer or answers, not both")
    raw = data.get("answers", [data["answer"]] if "answer" in data else [])
    return _strings(problems, raw, f"{field}.answers")


def _strings(problems: Problems, raw: Any, field: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(s, str) and s.strip() for s in raw):
        problems.add(field, "expected a list of names")
        return ()
    return tuple(raw)


def _manual(problems: Problems, value: Any, marks: float | None, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        problems.add(field, "expected the marks a grader awards by hand (a number, 0 or more)")
        return 0.0
    if marks is not None and value >= marks:
        problems.add(field, f"{value:g} of the part's {marks:g} marks by hand leaves none to grade: use type: prose")
    return float(value)
