"""The per-render budgets of the Jinja sandbox, kept per thread: the loop steps a render may take
(MAX_STEPS) and the characters and list items it may make or read through (MAX_MADE), the caps on
one value (MAX_ITEMS), on an integer (MAX_BITS) and on what a field or a document may render to,
and SandboxLimit, raised when a render asks for more. A document's own templates run with both
budgets unlimited; `budgets` sets them for one render or compile and gives the outer ones back.
"""
from __future__ import annotations

import math
import threading
from contextlib import contextmanager
from typing import Any, Iterator

MAX_STEPS = 200_000        # loop steps in one render: each iteration costs the nodes of its loop's body
MAX_ITEMS = 100_000        # length of a made string or list, a range, an integer argument
MAX_BITS = 100_000         # size of an integer made by ** or *
MAX_MADE = 4_000_000       # characters and list items one bank render may make or read through, all together
MAX_TEXT = 1_000_000       # characters one bank field may render to
MAX_DOCUMENT = 50_000_000  # characters one whole document may render to
_CALL = 64                 # what a filter, test or method call costs of MAX_MADE on top of its sizes

_budget = threading.local()


class SandboxLimit(Exception):
    """A template asked for more work than bank text may do."""


def spend(steps: int = 1) -> None:
    _budget.left = getattr(_budget, "left", MAX_STEPS) - steps
    if _budget.left < 0:
        raise SandboxLimit(f"more than {MAX_STEPS} loop steps")


SIZED = (str, list, tuple, dict, set, frozenset, range)


def counting() -> bool:
    """True in bank text; False in a document, whose budget of characters made is unlimited
    (its own templates are trusted): there the sizes are not estimated, which keeps it fast."""
    return getattr(_budget, "made", MAX_MADE) != math.inf


def spend_made(size: float) -> None:
    """Count `size` characters or items made (or read through) against the render's budget."""
    _budget.made = getattr(_budget, "made", MAX_MADE) - size
    if _budget.made < 0:
        raise SandboxLimit(f"more than {MAX_MADE} characters made (or read) in one render")


def take(size: float) -> None:
    """A value of about `size` characters or items is about to be made: refused past MAX_ITEMS,
    and spent from the render's budget before it is built."""
    if size > MAX_ITEMS:
        raise SandboxLimit(f"a value of about {int(min(size, 10**15))} characters or items (at most {MAX_ITEMS})")
    spend_made(size)


def read(*values: Any, calls: int = 0) -> None:
    """A filter, method, test or comparison goes through its operands: their lengths are spent
    (`x in big_list` in a loop of 100000 steps is 10^10 comparisons, with nothing made), and
    _CALL for each call. Only called where counting()."""
    spend_made(sum(len(v) for v in values if isinstance(v, SIZED)) + calls * _CALL)


def check_size(value: Any) -> Any:
    if isinstance(value, (str, list, tuple, dict, set, frozenset)):
        check_length(len(value))
    return value


def check_length(length: int) -> int:
    if length > MAX_ITEMS:
        raise SandboxLimit(f"a value of {length} items (at most {MAX_ITEMS})")
    return length


@contextmanager
def budgets(steps: float, made: float) -> Iterator[None]:
    """This thread's budgets set for one render (or compile), and the outer ones given back after."""
    outer = getattr(_budget, "left", None), getattr(_budget, "made", None)
    _budget.left, _budget.made = steps, made
    try:
        yield
    finally:
        for name, value in zip(("left", "made"), outer):
            if value is None:
                _budget.__dict__.pop(name, None)
            else:
                setattr(_budget, name, value)
