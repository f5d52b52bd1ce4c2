"""Bounded work for the one Jinja sandbox: bank text may not loop, multiply or print without end.

Jinja's SandboxedEnvironment stops attribute escapes but not work: nested `range(100000)` loops,
`'A' * 10**10`, `2 ** 10**10`, `'x' | center(10**10)`, 27 doublings of `s ~ s` or
`'a' * 99999 | replace('a', 'a' * 99999)` run until the machine gives out. BoundedSandbox routes
every loop, `~`, slice and comparison through the `bounded_*` wrappers, wraps every filter and
test, and checks + - * / // ** %, calls and output: each spends from the render's budgets
(budget.py) what it would make or read, sized before it is built (sizes.py); integer arguments
are capped, and arithmetic on sympy numbers (answers) goes through the answer expressions' own
size checks. render_bounded and stream_bounded give each render fresh budgets: examgen's own
document templates run with both unlimited, bank text rendered inside them gets its own. A limit
raises SandboxLimit (or, for sympy arithmetic, ExpressionError), which render.py turns into one
line naming the field.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable
from functools import wraps
from typing import Any, Callable, Iterator

from jinja2 import nodes, pass_eval_context
from jinja2.runtime import Macro, markup_join, str_join
from jinja2.sandbox import SandboxedEnvironment
from jinja2.visitor import NodeTransformer

from .budget import (MAX_BITS, MAX_DOCUMENT, MAX_ITEMS, MAX_MADE, MAX_STEPS, MAX_TEXT, SIZED, SandboxLimit, budgets,
                     check_length, check_size, counting, read, spend, spend_made, take)
from .sizes import (ESCAPE, FILTER_SIZES, added_size, int_bits, made_size, method_size, percent_size, sizes,
                    text_size)

# what render.py imports from here (the limits and SandboxLimit live in budget.py)
__all__ = ["MAX_DOCUMENT", "MAX_TEXT", "BoundedSandbox", "SandboxLimit", "render_bounded", "stream_bounded"]

SAFE_MEMO = 4096           # (type, attribute name) verdicts kept by is_safe_attribute
_WIDE_FORMAT = re.compile(r"%[^a-zA-Z%]*\d{6,}|\{[^{}]*:[^{}]*\d{6,}")
_PER_ITEM = 8              # what each item costs a filter that runs Python code per item (sort, groupby, ...)
_ITEMWISE = frozenset(["sort", "dictsort", "groupby", "unique", "map", "select", "reject", "selectattr",
                       "rejectattr", "min", "max", "sum"])


def bounded_read(value: Any) -> Any:
    """The operands of every comparison pass through here (see _parse): their length is spent."""
    if isinstance(value, SIZED) and counting():
        spend_made(len(value))
    return value


def bounded_test(fn: Callable) -> Callable:
    """A test (`x is in big`) whose operands' lengths are spent."""
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if counting():
            read(*args, *kwargs.values(), calls=1)
        return fn(*args, **kwargs)
    return wrapper


def bounded_slice(value: Any) -> Any:
    """`x[a:b]` (every slice is routed here by _parse): the copy's length is spent."""
    if counting():
        spend_made(made_size(value))
    return value


def bounded_loop(iterable: Any, weight: int = 1) -> Any:
    """Every `for` loop iterates through this: each iteration spends `weight` (the number of
    nodes in the loop's body, see _parse) of the render's step budget, so that a long body
    repeated many times is bounded too."""
    for item in iterable:
        spend(weight)
        yield item


def bounded_range(*args: int) -> range:
    found = range(*args)
    if len(found) > MAX_ITEMS:
        raise SandboxLimit(f"range of {len(found)} numbers (at most {MAX_ITEMS})")
    return found


@pass_eval_context
def bounded_concat(eval_ctx: Any, parts: tuple) -> str:
    """`a ~ b ~ c` (every Concat node is routed here by _parse): sized before it is joined."""
    grow = ESCAPE if eval_ctx.autoescape else 1
    if counting():
        take(sizes(parts, lambda part, cap: text_size(part, cap) * (1 if hasattr(part, "__html__") else grow)))
    return (markup_join if eval_ctx.autoescape else str_join)(parts)


def bounded_output(value: Any) -> Any:
    """Jinja's finalize: what `<< value >>` prints; a non-string is sized before str() builds it."""
    if not isinstance(value, str) and counting():
        take(text_size(value))
    return value


def bounded_join(parts: Iterable[str]) -> str:
    """Environment.concat, which joins the output of a macro, call, filter or set block: spent
    from the budget (its size is not capped: a document's macros may print whole questions)."""
    parts = parts if isinstance(parts, list) else list(parts)
    if counting():
        spend_made(sum(map(len, parts)))
    return "".join(parts)


def _check_args(args: tuple, kwargs: dict) -> None:
    """Integer arguments at most MAX_ITEMS, no format string with a width of a million."""
    for arg in (*args, *kwargs.values()):
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_ITEMS:
            raise SandboxLimit(f"argument {arg} is too large (at most {MAX_ITEMS})")
        if isinstance(arg, str) and ("%" in arg or "{" in arg) and _WIDE_FORMAT.search(arg):
            raise SandboxLimit("a format width of a million or more")


def bounded_filter(fn: Callable, name: str = "") -> Callable:
    """A filter whose arguments (after the value) and result are size-checked; the filters that
    can make big strings or lists from small ones are sized (and spent) before they run."""
    size = FILTER_SIZES.get(name)
    weight = _PER_ITEM if name in _ITEMWISE else 1

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        skip = 1 if getattr(fn, "jinja_pass_arg", None) else 0
        head, value, rest = args[:skip], args[skip] if len(args) > skip else None, args[skip + 1:]
        _check_args(rest, kwargs)
        if fn.__name__ == "do_format" and isinstance(value, str):
            _check_args((value,), {})
        spent, sizing = 0.0, counting()
        if sizing:
            read(*rest, *kwargs.values(), calls=1)
            spend_made(weight * len(value) if isinstance(value, SIZED) else 0)
        if size is not None and len(args) > skip and sizing:
            value, rest, kwargs, spent = size(value, rest, kwargs, head)
            spent *= ESCAPE if getattr(head[0] if head else None, "autoescape", False) is True else 1
            take(spent)
            args = (*head, value, *rest)
        try:
            result = check_size(fn(*args, **kwargs))
        except (AssertionError, AttributeError) as err:  # truncate(1), [1] | truncate: one line, not a traceback
            raise TypeError(f"{name or fn.__name__}: {type(err).__name__}: {err}") from None
        if sizing:
            spend_made(max(made_size(result) - spent, 0))
        return result
    return wrapper


def _is_sympy(value: Any) -> bool:
    return type(value).__module__.startswith("sympy") and getattr(value, "is_number", False) is True


class BoundedSandbox(SandboxedEnvironment):
    """SandboxedEnvironment with a loop budget, a budget of characters made, and size checks on
    + - * / // ** %, ~, calls, filters, output and ranges."""

    intercepted_binops = frozenset(["+", "-", "*", "/", "//", "**", "%"])
    concat = staticmethod(bounded_join)

    def __init__(self, **options: Any) -> None:
        options.setdefault("finalize", bounded_output)
        super().__init__(**options)
        self.globals.pop("lipsum", None)
        self.globals["range"] = bounded_range
        self.filters = {name: bounded_filter(fn, name) for name, fn in self.filters.items()}
        self.filters["examgen_loop"] = bounded_loop
        self.filters["examgen_concat"] = bounded_concat
        self.filters["examgen_read"] = bounded_read
        self.filters["examgen_slice"] = bounded_slice
        self.tests = {name: bounded_test(fn) for name, fn in self.tests.items()}
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
        self.filters.update({name: bounded_filter(fn, name) for name, fn in filters.items()})

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Parse as usual, then route every loop's iterable through `bounded_loop` (weighted by
        the size of its body), every `~` through `bounded_concat`, every slice and comparison
        operand through `bounded_slice` and `bounded_read`."""
        tree = _BoundedConcat().visit(super()._parse(source, name, filename))
        for loop in tree.find_all(nodes.For):
            weight = nodes.Const(max(1, sum(1 for part in loop.body for _ in part.find_all(nodes.Node))))
            loop.iter = nodes.Filter(loop.iter, "examgen_loop", [weight], [], None, None, lineno=loop.lineno)
        tree.set_environment(self)
        return tree

    def compile(self, *args: Any, **kwargs: Any) -> Any:
        """Compile under a bank text's budgets, wherever it happens (inside a document too):
        Jinja runs filters on constants while it compiles, e.g. a 20 000-character literal
        replaced in another."""
        with budgets(MAX_STEPS, MAX_MADE):
            return super().compile(*args, **kwargs)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if _is_sympy(left) or _is_sympy(right):
            from ..solvers.expressions import bounded_arithmetic

            return bounded_arithmetic(operator, left, right)
        sizing = counting()  # not in a document: its own templates are trusted, only capped
        if sizing:
            read(left, right)
        if operator == "+" and sizing:
            take(added_size(left, right))
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int):
                    if len(seq) * n > MAX_ITEMS:
                        raise SandboxLimit(f"a repeat of {len(seq) * n} items (at most {MAX_ITEMS})")
                    spend_made(len(seq) * n if sizing else 0)
        if operator in ("+", "-", "*", "/") and int_bits(left) + int_bits(right) > MAX_BITS:
            raise SandboxLimit("a number with too many digits")
        if operator == "**" and isinstance(right, int) and int_bits(left) > 1 and int_bits(left) * right > MAX_BITS:
            raise SandboxLimit(f"a power with too many digits ({left!r:.20} ** {right})")
        if operator == "%" and isinstance(left, str):
            if _WIDE_FORMAT.search(left):
                raise SandboxLimit("a format width of a million or more")
            take(percent_size(left, right) * (ESCAPE if hasattr(left, "__html__") else 1) if sizing else 0)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _check_args(args, kwargs)
        sizing = counting()
        target = getattr(__obj, "__wrapped__", __obj)  # str.format comes wrapped
        owner, name = getattr(target, "__self__", None), getattr(target, "__name__", "")
        if sizing:
            read(owner, *args, *kwargs.values(), calls=1)
        if isinstance(owner, str) and _WIDE_FORMAT.search(owner):
            raise SandboxLimit("a format width of a million or more")
        if _is_sympy(owner):
            raise SandboxLimit(f"calling {name}() of a sympy number (use a filter or arithmetic)")
        sized = method_size(__self, owner, name, args, kwargs) if isinstance(owner, str) and sizing else None
        if sized is not None:
            args = sized[0]
            take(sized[1] * (ESCAPE if hasattr(owner, "__html__") else 1))
        grows = owner if isinstance(owner, (list, dict, set)) and sizing else None
        before = len(grows) if grows is not None else 0
        if grows is not None and name in ("extend", "update") and args and hasattr(args[0], "__len__"):
            check_length(before + len(args[0]))
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(__obj, Macro):
            return result
        if grows is not None:
            spend_made(max(check_length(len(grows)) - before, 0))
        if sizing:
            spend_made(max(made_size(result) - (sized[1] if sized else 0), 0))
        return check_size(result)


class _BoundedConcat(NodeTransformer):
    """`a ~ b` becomes `(a, b) | examgen_concat`, sized before the strings are joined; a slice
    `x[a:b]` goes through `examgen_slice` and each operand of a comparison (`x in big`, `a == b`)
    through `examgen_read`, which spend their length."""

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        node = self.generic_visit(node)
        parts = nodes.Tuple(list(node.nodes), "load", lineno=node.lineno)
        return nodes.Filter(parts, "examgen_concat", [], [], None, None, lineno=node.lineno)

    def visit_Getitem(self, node: nodes.Getitem) -> nodes.Node:
        node = self.generic_visit(node)
        if not isinstance(node.arg, nodes.Slice):
            return node
        return nodes.Filter(node, "examgen_slice", [], [], None, None, lineno=node.lineno)

    def visit_Compare(self, node: nodes.Compare) -> nodes.Node:
        node = self.generic_visit(node)
        node.expr = _reading(node.expr)
        for operand in node.ops:
            operand.expr = _reading(operand.expr)
        return node


def _reading(expr: nodes.Expr) -> nodes.Expr:
    return nodes.Filter(expr, "examgen_read", [], [], None, None, lineno=expr.lineno)


def render_bounded(template: Any, context: dict[str, Any], limit: int, steps: float | None = None,
                   made: float | None = None) -> str:
    """Render with a fresh budget of `steps` loop steps (MAX_STEPS by default) and `made`
    characters made (MAX_MADE by default), stopping as soon as the output passes `limit`
    characters. examgen's own document templates pass no step limit (math.inf), and then get no
    limit on characters made either: their loops and output grow with the variants and the
    roster, and the bank text inside them was bounded when it was rendered."""
    return "".join(stream_bounded(template, context, limit, steps, made))


def stream_bounded(template: Any, context: dict[str, Any], limit: int, steps: float | None = None,
                   made: float | None = None) -> Iterator[str]:
    """render_bounded, a piece at a time as the template produces it (in the consuming thread)."""
    steps = MAX_STEPS if steps is None else steps
    made = (math.inf if steps == math.inf else MAX_MADE) if made is None else made
    with budgets(steps, made):  # a bank text rendered inside a document leaves the document's as they were
        size = 0
        for chunk in template.generate(**context):
            size += len(chunk)
            if size > limit:
                raise SandboxLimit(f"output longer than {limit} characters")
            yield chunk

