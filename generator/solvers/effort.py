"""Effort: the hand work a question's worked solution asks of a student, so that every variant of
a family is the same work (issue 24).

A solver counts its worked solution's steps with a `Work` tally and returns `Solved(..., effort=
work.total)`. The unit is one single-digit operation, schoolbook style: multiplying a 3-digit by a
2-digit number is 6, adding two 4-digit numbers is 4, comparing two numbers is 1, reading off a
table entry is 1. So a count with 9-digit products weighs what it costs by hand.

A template declares its family's median effort (`effort: 24` in its YAML, measured by `examgen
check`); sampling draws again when an instance's effort is more than EFFORT_BAND away from it, so
the variants of a family are equal work. The paper's own values (presets) stand as printed.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from fractions import Fraction
from typing import Any

EFFORT_BAND = 0.25        # an instance's effort stays within ±25 % of its family's median


def digits(value: Any) -> int:
    """The significant digits a student writes for `value` (cached: solvers count the same few
    numbers over and over)."""
    try:
        return _digits_cached(value)
    except TypeError:            # unhashable: count it as it is
        return _digits(value)


def _digits(value: Any) -> int:
    """The significant digits a student writes for `value` (at least 1): 472058944 → 9, 0.035 → 2,
    -12 → 2, 3/4 → 2 (numerator and denominator)."""
    if isinstance(value, bool):
        return 1
    if isinstance(value, Fraction):
        return digits(value.numerator) + (digits(value.denominator) if value.denominator != 1 else 0)
    if isinstance(value, int):
        return max(1, len(str(abs(value))))
    try:
        text = repr(abs(float(value)))
    except (TypeError, ValueError, ArithmeticError):
        return 1
    if "e" in text or "n" in text:        # 1e-05, inf, nan: the slow, exact way
        return _digits_exactly(value)
    if text.endswith(".0"):
        text = text[:-2]
    return max(1, len(text.replace(".", "").lstrip("0")))


_digits_cached = lru_cache(maxsize=65536)(_digits)


def _digits_exactly(value: Any) -> int:
    try:
        text = format(Decimal(str(float(value))).normalize(), "f").lstrip("-")
    except (TypeError, ValueError, ArithmeticError):
        return 1
    return max(1, len(text.replace(".", "").lstrip("0")))


class Work:
    """A tally of single-digit operations, kept while a solver works the way the solution shows."""

    def __init__(self) -> None:
        self.total = 0.0

    def mul(self, a: Any, b: Any) -> Any:
        """a × b, schoolbook: one step per pair of digits (× 1, × 0 and × -1 are free)."""
        if not _trivial(a) and not _trivial(b):
            self.total += digits(a) * digits(b)
        return a * b

    def add(self, a: Any, b: Any) -> Any:
        """a + b (or a − b): one step per digit of the longer number (+ 0 is free)."""
        if not (_zero(a) or _zero(b)):
            self.total += max(digits(a), digits(b))
        return a + b

    def div(self, a: Any, b: Any) -> Any:
        """a / b: long division, one step per digit of the quotient and the divisor."""
        if not _trivial(b):
            self.total += digits(b) * max(1, digits(a))
        return a / b

    def compare(self, count: int = 1) -> None:
        """`count` comparisons (a max, a sign, an ordering)."""
        self.total += count

    def step(self, count: float = 1) -> None:
        """`count` other steps: reading a value off a table, a look-up, a function value by hand."""
        self.total += count

    def sum(self, values: list[Any]) -> Any:
        """Σ values, added left to right."""
        total: Any = 0
        for v in values:
            total = self.add(total, v)
        return total

    def dot(self, a: list[Any], b: list[Any]) -> Any:
        """Σ a_i b_i, as a student multiplies and adds."""
        return self.sum([self.mul(x, y) for x, y in zip(a, b)])


def _zero(value: Any) -> bool:
    try:
        return value == 0
    except (TypeError, ValueError):
        return False


def _trivial(value: Any) -> bool:
    try:
        return value in (0, 1, -1)
    except (TypeError, ValueError):
        return False


def in_band(effort: float, median: float) -> bool:
    """Whether an instance's effort lies within EFFORT_BAND of its family's median."""
    return abs(effort - median) <= EFFORT_BAND * median + 1e-9
