"""Bounded work for the one Jinja sandbox: bank text may not loop, multiply or print without end.

Jinja's SandboxedEnvironment stops attribute escapes but not work: nested `range(100000)` loops,
`'A' * 10**10`, `2 ** 10**10` or `'x' | center(10**10)` run until the machine gives out. Here every
`for` loop draws on a per-render step budget, big results of `*` and `**` are refused before they
are computed, integer arguments to filters and methods are capped, and output is capped while it
is produced. A limit raises SandboxLimit, which render.py turns into one line naming the field.
"""
from __future__ import annotations

import re
import threading
from functools import wraps
from typing import Any, Callable, Iterator

from jinja2 import nodes
from jinja2.runtime import Macro
from jinja2.sandbox import SandboxedEnvironment

MAX_STEPS = 200_000        # loop iterations in one render
MAX_ITEMS = 100_000        # length of a made string or list, a range, an integer argument
MAX_BITS = 100_000         # size of an integer made by ** or *
MAX_TEXT = 1_000_000       # characters one bank field may render to
MAX_DOCUMENT = 50_000_000  # characters one whole document may render to
SAFE_MEMO = 4096           # (type, attribute name) verdicts kept by is_safe_attribute
_WIDE_FORMAT = re.compile(r"%[^a-zA-Z%]*\d{6,}|\{[^{}]*:[^{}]*\d{6,}")

_budget = threading.local()


class SandboxLimit(Exception):
    """A template asked for more work than bank text may do."""


def _spend(steps: int = 1) -> None:
    _budget.left = getattr(_budget, "left", MAX_STEPS) - steps
    if _budget.left < 0:
        raise SandboxLimit(f"more than {MAX_STEPS} loop steps")


def bounded_loop(iterable: Any) -> Any:
    """Every `for` loop iterates through this: each step spends one unit of the render's budget."""
    for item in iterable:
        _spend()
        yield item


def bounded_range(*args: int) -> range:
    found = range(*args)
    if len(found) > MAX_ITEMS:
        raise SandboxLimit(f"range of {len(found)} numbers (at most {MAX_ITEMS})")
    return found


def _check_size(value: Any) -> Any:
    if isinstance(value, (str, list, tuple)) and len(value) > MAX_ITEMS:
        raise SandboxLimit(f"a value of {len(value)} items (at most {MAX_ITEMS})")
    return value


def _check_args(args: tuple, kwargs: dict) -> None:
    for arg in (*args, *kwargs.values()):
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_ITEMS:
            raise SandboxLimit(f"argument {arg} is too large (at most {MAX_ITEMS})")
        if isinstance(arg, str) and _WIDE_FORMAT.search(arg):
            raise SandboxLimit("a format width of a million or more")


def bounded_filter(fn: Callable) -> Callable:
    """A filter whose arguments (after the value) and result are size-checked."""
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _check_args(args[1:] if not getattr(fn, "jinja_pass_arg", None) else args[2:], kwargs)
        if fn.__name__ == "do_format" and args and isinstance(args[0], str):
            _check_args((args[0],), {})
        return _check_size(fn(*args, **kwargs))
    return wrapper


def _int_bits(value: Any) -> int:
    return abs(value).bit_length() if isinstance(value, int) and not isinstance(value, bool) else 0


class BoundedSandbox(SandboxedEnvironment):
    """SandboxedEnvironment with a loop budget and caps on *, **, %, calls, filters and ranges."""

    intercepted_binops = frozenset(["*", "**", "%"])

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals.pop("lipsum", None)
        self.globals["range"] = bounded_range
        self.filters = {name: bounded_filter(fn) for name, fn in self.filters.items()}
        self.filters["examgen_loop"] = bounded_loop
        self._safe: dict[tuple[type, str], bool] = {}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Jinja's own verdict, asked once per (type, name): it looks only at the name and at
        which kind of object it is (function, method, class, code, frame, generator). A document
        asks about a hundred thousand times, nearly always the same few pairs."""
        key = (type(obj), attr)
        safe = self._safe.get(key)
        if safe is None:
            safe = super().is_safe_attribute(obj, attr, value)
            if len(self._safe) < SAFE_MEMO:
                self._safe[key] = safe
        return safe

    def add_filters(self, filters: dict[str, Callable]) -> None:
        self.filters.update({name: bounded_filter(fn) for name, fn in filters.items()})

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Parse as usual, then route every loop's iterable through `bounded_loop`."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, "examgen_loop", [], [], None, None, lineno=loop.lineno)
        return tree

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_ITEMS:
                    raise SandboxLimit(f"a repeat of {len(seq) * n} items (at most {MAX_ITEMS})")
            if _int_bits(left) + _int_bits(right) > MAX_BITS:
                raise SandboxLimit("a product with too many digits")
        if operator == "**" and isinstance(right, int) and _int_bits(left) > 1 and _int_bits(left) * right > MAX_BITS:
            raise SandboxLimit(f"a power with too many digits ({left!r:.20} ** {right})")
        if operator == "%" and isinstance(left, str) and _WIDE_FORMAT.search(left):
            raise SandboxLimit("a format width of a million or more")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _check_args(args, kwargs)
        owner = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)  # str.format comes wrapped
        if isinstance(owner, str) and _WIDE_FORMAT.search(owner):
            raise SandboxLimit("a format width of a million or more")
        result = super().call(__context, __obj, *args, **kwargs)
        return result if isinstance(__obj, Macro) else _check_size(result)


def render_bounded(template: Any, context: dict[str, Any], limit: int, steps: float | None = None) -> str:
    """Render with a fresh budget of `steps` loop steps (MAX_STEPS by default), stopping as soon as
    the output passes `limit` characters. examgen's own document templates pass no step limit
    (math.inf): their loops grow with the variants and the roster, and the bank text inside them
    was bounded when it was rendered."""
    return "".join(stream_bounded(template, context, limit, steps))


def stream_bounded(template: Any, context: dict[str, Any], limit: int, steps: float | None = None) -> Iterator[str]:
    """render_bounded, a piece at a time as the template produces it (in the consuming thread)."""
    outer, _budget.left = getattr(_budget, "left", None), MAX_STEPS if steps is None else steps
    try:
        size = 0
        for chunk in template.generate(**context):
            size += len(chunk)
            if size > limit:
                raise SandboxLimit(f"output longer than {limit} characters")
            yield chunk
    finally:
        if outer is not None:
            _budget.left = outer  # a bank text rendered inside a document leaves the document's budget
