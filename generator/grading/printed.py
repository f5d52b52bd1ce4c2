"""What the key prints for a graded numeric response (every value rounded once to the stated
precision, labelled), and the sentence a question carries to say how to give its answer."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ..models import Response
from .expected import round_once

NUMERIC = ("number", "values", "shape", "matrix")


def key_text(response: Response, answers: dict[str, Any], by_hand: str = "") -> str:
    """The key's line for the response: `$1.05$`, `conv1: $[2, 16, 24, 24]$; pool1: ...`, a matrix;
    for a part with a share graded by hand, then that share and what the grader looks for
    (`by_hand`: what the bank's answer adds to the values, `hand_marked`), or the marking guide:
    `window size: $3$; stride: $1$ --- by hand (1 mark): max pooling`. A label keeps its value on
    its line (a tie after the colon)."""
    if response.kind == "values":
        labels = [f"${n}$" for n in response.notation] or [_label(s) for s in response.labels or response.answers]
        text = "; ".join(_labelled(label, answers[name], response, bool(response.labels))
                         for label, name in zip(labels, response.answers))
    else:
        shown = [_value(answers[name], response) for name in response.answers]
        text = f"${shown[0]}$" if shown else ""
    unit = f" {response.unit}" if response.unit else ""
    marks = f"{response.manual:g}~mark{'s' if response.manual != 1 else ''}"
    manual = f"~--- by hand ({marks}):~{by_hand or 'see the marking guide'}" if response.manual else ""
    return text + unit + manual


NUMBER = re.compile(r"\d+(?:\.\d+)?")
MATHS = re.compile(r"(\$[^$]*\$)")


def hand_marked(answer: str, graded: str) -> str:
    """What the bank's answer says beyond the graded values, for the key's hand-marked share: its
    clauses (split at `;` and `,` outside maths) that hold none of the graded numbers.
    `max pooling, window $3 \\times 3$, stride 1` after `window size: $3$; stride: $1$` leaves
    `max pooling`; `$W = 0.6$` after `$0.6$` leaves nothing."""
    values = {Decimal(n) for n in NUMBER.findall(graded)}
    return ", ".join(c for c in _clauses(answer) if not values & {Decimal(n) for n in NUMBER.findall(c)})


def _clauses(text: str) -> list[str]:
    clauses, current = [], ""
    for i, piece in enumerate(MATHS.split(" ".join(text.split()))):
        if i % 2:          # maths: never split
            current += piece
            continue
        first, *rest = re.split(r"[;,]\s+", piece)
        current += first
        for clause in rest:
            clauses.append(current.strip())
            current = clause
    return [c for c in (*clauses, current.strip()) if c]


def _labelled(label: str, value: Any, response: Response, named: bool) -> str:
    """`label: $v$`. A mapping answer (a layer's name → its shape, names that vary per draw) gives
    `key: $v$` per entry, grouped under its label when the bank names one: `model1 (fc1: $[3, 10]$, ...)`.
    `label` is already printable: the bank's notation in maths, or a label as text (`_label`)."""
    if isinstance(value, dict):
        entries = [f"{_label(str(key))}:~${_value(v, response)}$" for key, v in value.items()]
        return f"{label} ({', '.join(entries)})" if named else "; ".join(entries)
    return f"{label}:~${_value(value, response)}$"


def _label(label: str) -> str:
    """A label as text, kept on one line with its value (`centred~minus~exact:~$0.0100$`)."""
    return label.replace("\\", "").replace("_", r"\_").replace("$", "").replace(" ", "~")


def _value(value: Any, response: Response) -> str:
    """A value as the key prints it: a number, a list, or a list of rows as a matrix (a matrix
    response, or a matrix among labelled values, such as a layer's gradient; issue 25)."""
    if hasattr(value, "tolist") and not isinstance(value, (list, tuple)):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(row, (list, tuple)) for row in value) and response.kind in ("matrix", "values"):
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
