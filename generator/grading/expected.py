"""The values a part's response expects, each rounded once from the solver's exact value.

A value is graded within half a unit of the last stated place (`decimals`), or exactly when it is a
whole number and no places are stated. The key prints the rounded value, every export grades with
the same tolerance, and a student who carries full precision and rounds only at the end is inside it.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from fractions import Fraction
from typing import Any

from ..models import Response


@dataclass(frozen=True)
class Expected:
    """One value a student writes: its label, the key's value (rounded once) and its tolerance."""

    label: str
    value: Decimal
    tolerance: Decimal
    decimals: int          # places the key prints (0 for whole numbers)

    @property
    def text(self) -> str:
        return f"{self.value:.{self.decimals}f}" if self.decimals else str(self.value.to_integral_value())


def exact_decimal(value: Any, digits: int = 40) -> Decimal:
    """`value` (int, Fraction, float, sympy number) as a Decimal with `digits` significant digits,
    without a detour through a rounded float where the value is exact."""
    with localcontext() as ctx:
        ctx.prec = digits
        if isinstance(value, bool):
            return Decimal(int(value))
        if isinstance(value, int):
            return Decimal(value)
        if isinstance(value, Fraction):
            return Decimal(value.numerator) / Decimal(value.denominator)
        if type(value).__module__.startswith("sympy"):
            return Decimal(str(value.evalf(digits)))
        return Decimal(repr(float(value)))


def round_once(value: Any, decimals: int) -> Decimal:
    """The exact value rounded half away from zero to `decimals` places, in one step."""
    exact = exact_decimal(value)
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def tolerance(decimals: int | None) -> Decimal:
    """Half a unit of the last stated place; 0 for a whole number graded exactly."""
    return Decimal(0) if not decimals else Decimal(5).scaleb(-decimals - 1)


def expected_values(response: Response, answers: dict[str, Any]) -> list[Expected]:
    """What a graded numeric response expects, entry by entry, labelled; [] for other kinds."""
    if response.kind not in ("number", "values", "shape", "matrix") or not set(response.answers) <= set(answers):
        return []    # a response naming an answer the solver did not give: graded by hand (check names it)
    out: list[Expected] = []
    for i, name in enumerate(response.answers):
        value = answers[name]
        label = response.labels[i] if i < len(response.labels) else "" if isinstance(value, dict) else name
        out += _entries(label, value, response)
    return out


def _entries(label: str, value: Any, response: Response) -> list[Expected]:
    if isinstance(value, dict):   # a layer's name → its shape: each entry labelled by its key
        return [e for key, v in value.items() for e in _entries(f"{label} {key}".strip(), v, response)]
    if isinstance(value, (list, tuple)) or _is_matrix(value):
        rows = _as_lists(value)
        flat = [(f"{label}[{i + 1}]", v) for i, v in enumerate(rows)] if not any(isinstance(r, list) for r in rows) \
            else [(f"{label}[{i + 1},{j + 1}]", v) for i, r in enumerate(rows) for j, v in enumerate(r)]
        return [e for sub, v in flat for e in _entries(sub, v, response)]
    places = response.decimals or 0
    try:
        return [Expected(label, round_once(value, places), tolerance(response.decimals), places)]
    except (InvalidOperation, TypeError, ValueError, OverflowError):
        return []


def _is_matrix(value: Any) -> bool:
    return type(value).__module__.startswith("sympy") and hasattr(value, "tolist")


def _as_lists(value: Any) -> list:
    return value.tolist() if hasattr(value, "tolist") else list(value)
