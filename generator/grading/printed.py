"""What the key prints for a graded numeric response (every value rounded once to the stated
precision, labelled), and the sentence a question carries to say how to give its answer."""
from __future__ import annotations

from typing import Any

from ..models import Response
from .expected import round_once

NUMERIC = ("number", "values", "shape", "matrix")


def key_text(response: Response, answers: dict[str, Any], by_hand: str = "") -> str:
    """The key's line for the response: `$1.05$`, `conv1: $[2, 16, 24, 24]$; pool1: ...`, a matrix;
    for a part with a share graded by hand, then what the grader looks for (`by_hand`, the bank's
    own answer)."""
    if response.kind == "values":
        labels = response.labels or response.answers
        text = "; ".join(_labelled(label, answers[name], response, bool(response.labels))
                         for label, name in zip(labels, response.answers))
    else:
        shown = [_value(answers[name], response) for name in response.answers]
        text = f"${shown[0]}$" if shown else ""
    unit = f" {response.unit}" if response.unit else ""
    marks = f"{response.manual:g} mark{'s' if response.manual != 1 else ''}"
    manual = (f"; by hand ({marks}): {by_hand}" if by_hand else f" (and {marks} by hand, see the marking guide)") \
        if response.manual else ""
    return text + unit + manual


def _labelled(label: str, value: Any, response: Response, named: bool) -> str:
    """`label: $v$`. A mapping answer (a layer's name → its shape, names that vary per draw) gives
    `key: $v$` per entry, grouped under its label when the bank names one: `model1 (fc1: $[3, 10]$, ...)`."""
    if isinstance(value, dict):
        entries = [f"{_label(str(key))}: ${_value(v, response)}$" for key, v in value.items()]
        return f"{_label(label)} ({', '.join(entries)})" if named else "; ".join(entries)
    return f"{_label(label)}: ${_value(value, response)}$"


def _label(label: str) -> str:
    return label.replace("\\", "").replace("_", r"\_").replace("$", "")


def _value(value: Any, response: Response) -> str:
    if hasattr(value, "tolist") and not isinstance(value, (list, tuple)):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], (list, tuple)) and response.kind == "matrix":
            body = r" \\ ".join(" & ".join(_number(c, response) for c in row) for row in value)
            return r"\begin{bmatrix} " + body + r" \end{bmatrix}"
        return "[" + ", ".join(_value(v, response) for v in value) + "]"
    return _number(value, response)


def _number(value: Any, response: Response) -> str:
    places = response.decimals or 0
    rounded = round_once(value, places)
    text = f"{rounded:.{places}f}" if places else str(rounded.to_integral_value())
    if response.expression and type(value).__module__.startswith("sympy") and not value.is_Rational:
        import sympy

        return f"{sympy.latex(value, ln_notation=True)} \\approx {text}"   # the exact form it accepts
    return text


def precision_sentence(response: Response) -> str:
    """How to give the answer, for a part whose answer is not a whole number (LaTeX, or '')."""
    if response.kind not in NUMERIC or (response.decimals is None and not response.expression):
        return ""
    places = response.decimals
    parts = []
    if places is not None:
        what = "each value" if response.kind in ("values", "shape", "matrix") else "your answer"
        parts.append(f"Give {what} to {places} decimal place{'s' if places != 1 else ''}"
                     if places else f"Give {what} as a whole number")
    if response.expression:
        parts.append("an exact expression (with $\\ln$, fractions or roots) is also accepted")
    return "\\emph{(" + "; ".join(parts) + ".)}"
