"""The numbers a printed answer states, each with the tolerance its printed precision implies.

A key line such as `$O = \\begin{bmatrix} 0 & 3 \\\\ 2 & 0 \\end{bmatrix}$` or `$\\ln 250 \\approx 5.5215$`
holds the values a student must give. Exports that grade numbers (Moodle, QTI, AMC) read them
from here: a value printed with p decimal places is right within half a unit in its last place.
A number a float cannot hold exactly enough (past 15 significant digits, beyond the float range,
`\\frac{1}{0}`) is never graded as a float: its part stays open, its answer exact text.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable

MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\[(.+?)\\\]|\\\((.+?)\\\)", re.S)
MATRIX = re.compile(r"\\begin\{([pbvBV]?matrix)\}(.*?)\\end\{\1\}", re.S)
NUMBER = r"-?\s*(?:\d+(?:\.\d+)?|\.\d+)"
FRAC = r"-?\s*\\[dt]?frac\{(\d+)\}\{(\d+)\}"
TOKEN = re.compile(rf"{FRAC}|{NUMBER}")
SCRIPT = re.compile(r"[_^](\{[^{}]*\}|\\?[A-Za-z0-9])")
FRAC_TOLERANCE = 5e-5   # an exact fraction is typed as a decimal: four places are enough
EXACT_TOLERANCE = 5e-5  # half a unit in the fourth place, the key's default precision (latexfmt.dec)
MAX_DIGITS = 15         # significant digits a float (and a student typing) holds exactly


@dataclass(frozen=True)
class Value:
    """One number to give: `text` as printed, right within `tolerance`."""

    value: float
    tolerance: float
    text: str
    label: str = ""           # what the value is (a layer's name, a matrix entry), for the field beside it

    def accepts(self, x: float) -> bool:
        return abs(x - self.value) <= self.tolerance + 1e-12

    @property
    def gradable(self) -> bool:
        """A float holds the printed number exactly enough to grade it (see the module's docstring)."""
        digits = re.sub(r"\D", "", self.text).lstrip("0")
        return (math.isfinite(self.value) and math.isfinite(self.tolerance) and len(digits) <= MAX_DIGITS
                and (self.value != 0 or not digits))

    @property
    def decimals(self) -> int:
        """Decimal places a student types: those the tolerance allows (half a unit in the last)."""
        return max(0, round(-math.log10(2 * self.tolerance))) if self.tolerance > 0 else 0


def printed_values(answer: str) -> list[Value]:
    """Every number stated in the maths of `answer`, in reading order (matrices row by row)."""
    values: list[Value] = []
    for match in MATH.finditer(answer):
        maths = next(g for g in match.groups() if g is not None)
        values += _math_values(maths)
    return values


def _math_values(maths: str) -> list[Value]:
    cells = MATRIX.findall(maths)
    if cells:
        return [v for _, body in cells for v in _cells(body)]
    if r"\approx" in maths:
        maths = maths.split(r"\approx")[-1]  # the exact form's digits are not the answer
    elif "=" in maths:
        maths = maths.split("=")[-1]         # "O = 12" or "x_1 = 0.5": the value is on the right
    return _numbers(maths)


def _cells(body: str) -> list[Value]:
    return [v for row in body.split(r"\\") for cell in row.split("&") for v in _numbers(cell)]


def _numbers(text: str) -> list[Value]:
    text = SCRIPT.sub(" ", text.replace(r"\,", "").replace("{,}", "."))
    return [_value(m.group(0), m.group(1), m.group(2)) for m in TOKEN.finditer(text)]


def _value(text: str, num: str | None, den: str | None) -> Value:
    text = re.sub(r"\s+", "", text)
    if num is not None:
        sign = -1 if text.startswith("-") else 1
        return Value(sign * _fraction(num, den), FRAC_TOLERANCE, text)
    places = len(text.partition(".")[2])
    return Value(float(text), 0.5 * 10.0 ** -places if places else 0.0, text)


def _fraction(num: str, den: str) -> float:
    """num/den (digit strings) as a float: nan for /0, inf when too long to be graded (a huge
    numerator overflows a float, and past 4300 digits Python reads no int)."""
    if not den.strip("0"):
        return math.nan
    if len(num) + len(den) > 2 * MAX_DIGITS:
        return math.inf
    return float(Fraction(int(num), int(den)))


def solver_numbers(data: Any) -> list[float]:
    """Every number in a solver's answers (plain JSON form), to check parsed values against;
    numbers a float cannot hold (beyond its range, nan) are left out."""
    if isinstance(data, bool):
        return []
    if isinstance(data, (int, float)):
        return _finite(data)
    if isinstance(data, dict):
        return _finite(data["value"]) if "value" in data else [x for v in data.values() for x in solver_numbers(v)]
    if isinstance(data, list):
        return [x for v in data for x in solver_numbers(v)]
    return []


def _finite(x: Any) -> list[float]:
    try:
        value = float(x)
    except (OverflowError, TypeError, ValueError):
        return []
    return [value] if math.isfinite(value) else []


def confirmed(values: list[Value], truth: Iterable[float]) -> bool:
    """True when every printed value is gradable and one the solver computed (within its printed precision)."""
    known = list(truth)
    return bool(values) and all(v.gradable and any(v.accepts(t) or math.isclose(v.value, t, rel_tol=1e-9)
                                                   for t in known) for v in values)


def settle(values: list[Value], truth: Iterable[float]) -> list[Value]:
    """A value printed exactly (the key drops trailing zeros) is graded to the key's four places,
    not to its few printed ones: `0.1` must not accept 0.14. Rounded values keep their tolerance."""
    known = list(truth)
    return [Value(v.value, min(v.tolerance, EXACT_TOLERANCE), v.text)
            if any(math.isclose(v.value, t, rel_tol=1e-12, abs_tol=1e-12) for t in known) else v
            for v in values]
