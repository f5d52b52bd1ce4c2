"""Bounded work for the one Jinja sandbox: bank text may not loop, multiply or print without end.

Jinja's SandboxedEnvironment stops attribute escapes but not work: nested `range(100000)` loops,
`'A' * 10**10`, `2 ** 10**10`, `'x' | center(10**10)`, 27 doublings of `s ~ s` or
`'a' * 99999 | replace('a', 'a' * 99999)` run until the machine gives out. Here, per render:
- every `for` iteration spends the size of its loop's body from a budget of MAX_STEPS;
- whatever makes a string or a list (`~`, `+`, `*`, `%`, filters such as replace, indent, join
  and format, str methods, printing a non-string) is sized from its operands and refused before
  it is built when it would pass MAX_ITEMS;
- every string or list made, and every operand a filter, method, test or comparison reads
  through, spends its length from a budget of MAX_MADE, so that a loop of many moderately large
  strings (or of `x in big_list`) stops too;
- integer arguments to filters and methods are capped, output is capped as it is produced, and
  arithmetic on sympy numbers (answers) goes through the answer expressions' own size checks.
examgen's own document templates run with both budgets unlimited (their loops and output grow
with the variants), and only the caps; bank text rendered inside them gets its own budgets. A
limit raises SandboxLimit (or, for sympy arithmetic, ExpressionError), which render.py turns
into one line naming the field.
"""
from __future__ import annotations

import math
import re
import threading
from contextlib import contextmanager
from collections.abc import ItemsView, Iterable, KeysView, Mapping, ValuesView
from fractions import Fraction
from functools import wraps
from itertools import islice
from string import Formatter
from typing import Any, Callable, Iterator

from jinja2 import nodes, pass_eval_context
from jinja2.runtime import Macro, markup_join, str_join
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import Namespace
from jinja2.visitor import NodeTransformer

MAX_STEPS = 200_000        # loop steps in one render: each iteration costs the nodes of its loop's body
MAX_ITEMS = 100_000        # length of a made string or list, a range, an integer argument
MAX_BITS = 100_000         # size of an integer made by ** or *
MAX_MADE = 4_000_000       # characters and list items one bank render may make or read through, all together
MAX_TEXT = 1_000_000       # characters one bank field may render to
MAX_DOCUMENT = 50_000_000  # characters one whole document may render to
SAFE_MEMO = 4096           # (type, attribute name) verdicts kept by is_safe_attribute
_WIDE_FORMAT = re.compile(r"%[^a-zA-Z%]*\d{6,}|\{[^{}]*:[^{}]*\d{6,}")
_PERCENT = re.compile(r"%(?:\(([^)]*)\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.?)", re.S)
_NUMBER_TEXT = 330         # room for a number a format spec prints (%f of 1e308 has 316 characters)
_ESCAPE = 5                # &#39; for ': the most one character grows when escaped
_CALL = 64                 # what a filter, test or method call costs of MAX_MADE on top of its sizes
_PER_ITEM = 8              # what each item costs a filter that runs Python code per item (sort, groupby, ...)
_ITEMWISE = frozenset(["sort", "dictsort", "groupby", "unique", "map", "select", "reject", "selectattr",
                       "rejectattr", "min", "max", "sum"])

_budget = threading.local()


class SandboxLimit(Exception):
    """A template asked for more work than bank text may do."""


def _spend(steps: int = 1) -> None:
    _budget.left = getattr(_budget, "left", MAX_STEPS) - steps
    if _budget.left < 0:
        raise SandboxLimit(f"more than {MAX_STEPS} loop steps")


_SIZED = (str, list, tuple, dict, set, frozenset, range)


def _counting() -> bool:
    """True in bank text; False in a document, whose budget of characters made is unlimited
    (its own templates are trusted): there the sizes are not estimated, which keeps it fast."""
    return getattr(_budget, "made", MAX_MADE) != math.inf


def _spend_made(size: float) -> None:
    """Count `size` characters or items made (or read through) against the render's budget."""
    _budget.made = getattr(_budget, "made", MAX_MADE) - size
    if _budget.made < 0:
        raise SandboxLimit(f"more than {MAX_MADE} characters made (or read) in one render")


def _take(size: float) -> None:
    """A value of about `size` characters or items is about to be made: refused past MAX_ITEMS,
    and spent from the render's budget before it is built."""
    if size > MAX_ITEMS:
        raise SandboxLimit(f"a value of about {int(min(size, 10**15))} characters or items (at most {MAX_ITEMS})")
    _spend_made(size)


def _read(*values: Any, calls: int = 0) -> None:
    """A filter, method, test or comparison goes through its operands: their lengths are spent
    (`x in big_list` in a loop of 100000 steps is 10^10 comparisons, with nothing made), and
    _CALL for each call. Only called where _counting()."""
    _spend_made(sum(len(v) for v in values if isinstance(v, _SIZED)) + calls * _CALL)


def bounded_read(value: Any) -> Any:
    """The operands of every comparison pass through here (see _parse): their length is spent."""
    if isinstance(value, _SIZED) and _counting():
        _spend_made(len(value))
    return value


def bounded_test(fn: Callable) -> Callable:
    """A test (`x is in big`) whose operands' lengths are spent."""
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _counting():
            _read(*args, *kwargs.values(), calls=1)
        return fn(*args, **kwargs)
    return wrapper


def bounded_slice(value: Any) -> Any:
    """`x[a:b]` (every slice is routed here by _parse): the copy's length is spent."""
    if _counting():
        _spend_made(_made_size(value))
    return value


def bounded_loop(iterable: Any, weight: int = 1) -> Any:
    """Every `for` loop iterates through this: each iteration spends `weight` (the number of
    nodes in the loop's body, see _parse) of the render's step budget, so that a long body
    repeated many times is bounded too."""
    for item in iterable:
        _spend(weight)
        yield item


def bounded_range(*args: int) -> range:
    found = range(*args)
    if len(found) > MAX_ITEMS:
        raise SandboxLimit(f"range of {len(found)} numbers (at most {MAX_ITEMS})")
    return found


@pass_eval_context
def bounded_concat(eval_ctx: Any, parts: tuple) -> str:
    """`a ~ b ~ c` (every Concat node is routed here by _parse): sized before it is joined."""
    grow = _ESCAPE if eval_ctx.autoescape else 1
    if _counting():
        _take(_sizes(parts, lambda part, cap: _text_size(part, cap) * (1 if hasattr(part, "__html__") else grow)))
    return (markup_join if eval_ctx.autoescape else str_join)(parts)


def bounded_output(value: Any) -> Any:
    """Jinja's finalize: what `<< value >>` prints; a non-string is sized before str() builds it."""
    if not isinstance(value, str) and _counting():
        _take(_text_size(value))
    return value


def bounded_join(parts: Iterable[str]) -> str:
    """Environment.concat, which joins the output of a macro, call, filter or set block: spent
    from the budget (its size is not capped: a document's macros may print whole questions)."""
    parts = parts if isinstance(parts, list) else list(parts)
    if _counting():
        _spend_made(sum(map(len, parts)))
    return "".join(parts)


# -- sizes, estimated without building anything

def _text_size(value: Any, cap: float = MAX_ITEMS, quoted: bool = False) -> int:
    """An upper bound on len(str(value)) (len(repr(value)) when quoted), found without building
    it; the walk stops once past `cap`, so it takes at most about `cap` steps."""
    total, stack = 0, [(value, quoted)]
    while stack and total <= cap:
        item, as_repr = stack.pop()
        total += _own_size(item, as_repr, stack, cap - total)
    return total


def _own_size(item: Any, quoted: bool, stack: list, room: float) -> int:
    """The characters of one item outside its elements; containers push their elements."""
    if isinstance(item, str):
        return _repr_size(item) if quoted else len(item)
    if isinstance(item, (bool, type(None))):
        return 5
    if isinstance(item, int):
        return abs(item).bit_length() * 30103 // 100000 + 2
    if isinstance(item, (float, complex)):
        return 52
    if isinstance(item, Fraction):
        return _own_size(item.numerator, False, stack, room) + _own_size(item.denominator, False, stack, room) + 1
    if isinstance(item, Namespace):
        stack.append((item._Namespace__attrs, True))  # type: ignore[attr-defined]
        return 12
    if isinstance(item, (Mapping, ItemsView)):
        pairs = item.items() if isinstance(item, Mapping) else item
        return _push(stack, (x for pair in pairs for x in pair), 2 * len(item), room) + 13
    if isinstance(item, (list, tuple, set, frozenset, KeysView, ValuesView)):
        return _push(stack, item, len(item), room) + 13
    try:
        return len(repr(item) if quoted else str(item))
    except Exception:  # Undefined and the like: the real str() raises too
        return 0


def _push(stack: list, items: Iterable[Any], count: int, room: float) -> int:
    """Push a container's elements (unless its separators alone pass `room`); their separators' size."""
    if 2 * count <= room:
        stack.extend((x, True) for x in items)
    return 2 * count


def _repr_size(text: str) -> int:
    if text.isprintable():
        return len(text) + text.count("\\") + text.count("'") + 2
    return (4 if text.isascii() else 10) * len(text) + 2


def _sizes(values: Iterable[Any], size: Callable[[Any, float], float]) -> float:
    """The sum of size(value, room left) over values, stopping once past MAX_ITEMS."""
    total = 0.0
    for value in values:
        total += size(value, MAX_ITEMS - total)
        if total > MAX_ITEMS:
            break
    return total


def _escaped_size(text: str) -> int:
    """len(escape(text)): & < > " ' grow to &amp; &lt; &gt; &#34; &#39;."""
    return len(text) + 4 * (text.count("&") + text.count('"') + text.count("'")) + 3 * (text.count("<") + text.count(">"))


def _made_size(value: Any) -> int:
    """What a result cost to make: a string's length, a list's items and those of its sublists,
    a dict's or a set's entries."""
    if isinstance(value, (str, dict, set, frozenset)):
        return len(value)
    if isinstance(value, (list, tuple)):
        return len(value) + sum(len(x) for x in value if isinstance(x, (list, tuple)))
    return 0


def _items(value: Any) -> list:
    """An iterable as a list, refused past MAX_ITEMS items (a generator is read only that far)."""
    found = list(islice(value, MAX_ITEMS + 1)) if not isinstance(value, _SIZED) else list(value)
    _check_length(len(found))
    return found


def _as_text(value: Any) -> str:
    """str(value), sized first."""
    if isinstance(value, str):
        return value
    _take(_text_size(value))
    return str(value)


def _percent_size(fmt: str, values: Any) -> float:
    """An upper bound on len(fmt % values): the text, and per conversion its value's size, its
    width and precision (a `*` takes them from the values) and room for a number."""
    positional = list(values) if isinstance(values, tuple) else [values]
    mapping = values if isinstance(values, Mapping) else {}
    total, at = float(len(fmt)), 0
    for match in _PERCENT.finditer(fmt):
        key, width, precision, conversion = match.groups()
        if conversion == "%":
            continue
        for spec in (width, precision):
            if spec == "*":
                number, at = positional[at] if at < len(positional) else 0, at + 1
                total += abs(number) if isinstance(number, int) else 0
            elif spec:
                total += int(spec) if len(spec) < 7 else math.inf
        if key is None:
            value, at = positional[at] if at < len(positional) else "", at + 1
        else:
            value = mapping.get(key, "")
        quoted = conversion in ("r", "a")
        total += _text_size(value, MAX_ITEMS - total, quoted) * (3 if quoted else 1) + _NUMBER_TEXT
        if total > MAX_ITEMS:
            break
    return total


def _format_size(env: SandboxedEnvironment, fmt: str, args: tuple, kwargs: Mapping) -> float:
    """An upper bound on len(fmt.format(*args, **kwargs)), each field resolved as the sandbox's
    formatter resolves it (attributes and items looked up, nothing printed)."""
    from _string import formatter_field_name_split  # type: ignore[import-not-found]

    widths = sum(abs(v) for v in (*args, *kwargs.values()) if isinstance(v, int) and not isinstance(v, bool))
    total, auto = 0.0, 0
    try:
        fields = list(Formatter().parse(fmt))
    except ValueError:
        return len(fmt)  # format() raises the same
    for literal, field, spec, conversion in fields:
        total += len(literal)
        if field is None:
            continue
        first, rest = formatter_field_name_split(field)
        if first == "":
            first, auto = auto, auto + 1
        try:
            value = args[first] if isinstance(first, int) else kwargs[first]
            for is_attr, key in rest:
                value = env.getattr(value, key) if is_attr else env.getitem(value, key)
        except (LookupError, TypeError):
            value = ""  # format() raises the same
        size = _text_size(value, MAX_ITEMS - total, conversion in ("r", "a"))
        total += size * (2 if isinstance(value, int) else 1) + _NUMBER_TEXT + _spec_room(spec or "", widths)
        if total > MAX_ITEMS:
            break
    return total


def _spec_room(spec: str, widths: int) -> float:
    """The most a format spec's width and precision add (a nested {} may take any int argument)."""
    numbers = re.findall(r"\d+", spec)
    room = sum(int(n) if len(n) < 7 else math.inf for n in numbers)
    return room + (widths if "{" in spec else 0)


# -- filters: sized from their arguments before they run

Sized = tuple[Any, tuple, dict, float]  # the value (maybe read into a list), args, kwargs, result size


def _size_replace(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    text, old, new = _as_text(value), _as_text(_arg(args, kwargs, 0, "old", "")), _as_text(_arg(args, kwargs, 1, "new", ""))
    count = _arg(args, kwargs, 2, "count", None)
    found = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return text, args, kwargs, len(text) + found * max(len(new) - len(old), 0)


def _size_indent(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    text = _as_text(value)
    width = _arg(args, kwargs, 0, "width", 4)
    unit = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    return text, args, kwargs, len(text) + 1 + (len(text.splitlines()) + 2) * unit


def _size_center(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    width = _arg(args, kwargs, 0, "width", 80)
    return value, args, kwargs, max(_text_size(value), width if isinstance(width, int) else 0)


def _size_format(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    text = _as_text(value)
    return text, args, kwargs, _percent_size(text, kwargs or args)


def _size_join(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    items, args, kwargs = _by_attribute(value, args, kwargs, head, 1)
    joint = _text_size(_arg(args, kwargs, 0, "d", ""))  # str(d) is made even for one item
    return items, args, kwargs, joint + _sizes(items, _text_size) + max(len(items) - 1, 0) * joint


def _by_attribute(value: Any, args: tuple, kwargs: dict, head: tuple, at: int) -> tuple[list, tuple, dict]:
    """The items of a join or sum, with its `attribute` argument (at position `at`) looked up
    here, so that their sizes are those of what is joined or summed."""
    from jinja2.filters import make_attrgetter

    items, attribute = _items(value), _arg(args, kwargs, at, "attribute", None)
    if attribute is None or not head:
        return items, args, kwargs
    env = getattr(head[0], "environment", head[0])
    get = make_attrgetter(env, attribute)
    rest = args[:at] + (None,) + args[at + 1:] if len(args) > at else args
    return [get(x) for x in items], rest, {k: v for k, v in kwargs.items() if k != "attribute"}


def _size_sum(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    """sum of lists copies the running total at every step: refused when that work is too much."""
    items, args, kwargs = _by_attribute(value, args, kwargs, head, 0)
    start = _arg(args, kwargs, 1, "start", 0)
    if not isinstance(start, (list, tuple)):
        return items, args, kwargs, 0  # numbers (a sum of lists needs a list to start from)
    running = work = len(start)
    for item in items:
        if isinstance(item, (list, tuple)):
            running += len(item)
            work += running
    _spend_made(max(work - running, 0))
    return items, args, kwargs, running


def _size_text(factor: int) -> Callable[..., Sized]:
    """Filters whose result is at most `factor` times their value's text (upper, urlencode, ...)."""
    def size(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
        return value, args, kwargs, factor * _text_size(value)
    return size


def _size_layout(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    """pprint and tojson(indent): each line may be indented by up to the whole text: size squared."""
    size = _text_size(value, MAX_ITEMS, quoted=True)
    indent = _arg(args, kwargs, 0, "indent", 1)
    unit = indent if isinstance(indent, int) and indent > 0 else 1
    return value, args, kwargs, 6 * size + size * (size * unit + 1)


def _size_tojson(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    if _arg(args, kwargs, 0, "indent", None):
        return _size_layout(value, args, kwargs)
    return _size_text(6)(value, args, kwargs)


def _size_urlize(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    text = _as_text(value)
    extra = sum(_text_size(a) for a in (*args, *kwargs.values()))
    return text, args, kwargs, _ESCAPE * len(text) + (len(text.split()) + 1) * (100 + extra)


def _size_wordwrap(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    text = _as_text(value)
    wrap = _arg(args, kwargs, 2, "wrapstring", None)
    return text, args, kwargs, len(text) * (1 + (len(wrap) if isinstance(wrap, str) else 2))


def _size_copies(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    """batch and slice copy every item into new lists."""
    items = _items(value)
    return items, args, kwargs, 2 * len(items) + 2


def _size_escape(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    return value, args, kwargs, _escaped_size(value) if isinstance(value, str) else _ESCAPE * _text_size(value)


def _size_xmlattr(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    size = _ESCAPE * _text_size(value) + 4 * len(value) + 2 if isinstance(value, Mapping) else 0
    return value, args, kwargs, size


def _size_truncate(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    return value, args, kwargs, _text_size(value) + _text_size(_arg(args, kwargs, 2, "end", "..."))


def _arg(args: tuple, kwargs: dict, index: int, name: str, default: Any) -> Any:
    return args[index] if len(args) > index else kwargs.get(name, default)


_FILTER_SIZES: dict[str, Callable[..., Sized]] = {
    "replace": _size_replace, "indent": _size_indent, "join": _size_join, "sum": _size_sum,
    "center": _size_center, "format": _size_format, "truncate": _size_truncate,
    "string": _size_text(1), "upper": _size_text(3), "lower": _size_text(3), "title": _size_text(3),
    "capitalize": _size_text(3), "urlencode": _size_text(12), "pprint": _size_layout, "tojson": _size_tojson,
    "urlize": _size_urlize, "wordwrap": _size_wordwrap, "batch": _size_copies, "slice": _size_copies,
    "e": _size_escape, "escape": _size_escape, "forceescape": _size_escape, "xmlattr": _size_xmlattr,
    "trim": _size_text(1), "striptags": _size_text(1), "wordcount": _size_text(1), "safe": _size_text(1),
}


def _check_size(value: Any) -> Any:
    if isinstance(value, (str, list, tuple, dict, set, frozenset)):
        _check_length(len(value))
    return value


def _check_length(length: int) -> int:
    if length > MAX_ITEMS:
        raise SandboxLimit(f"a value of {length} items (at most {MAX_ITEMS})")
    return length


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
    size = _FILTER_SIZES.get(name)
    weight = _PER_ITEM if name in _ITEMWISE else 1

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        skip = 1 if getattr(fn, "jinja_pass_arg", None) else 0
        head, value, rest = args[:skip], args[skip] if len(args) > skip else None, args[skip + 1:]
        _check_args(rest, kwargs)
        if fn.__name__ == "do_format" and isinstance(value, str):
            _check_args((value,), {})
        spent, counting = 0.0, _counting()
        if counting:
            _read(*rest, *kwargs.values(), calls=1)
            _spend_made(weight * len(value) if isinstance(value, _SIZED) else 0)
        if size is not None and len(args) > skip and counting:
            value, rest, kwargs, spent = size(value, rest, kwargs, head)
            spent *= _ESCAPE if getattr(head[0] if head else None, "autoescape", False) is True else 1
            _take(spent)
            args = (*head, value, *rest)
        try:
            result = _check_size(fn(*args, **kwargs))
        except (AssertionError, AttributeError) as err:  # truncate(1), [1] | truncate: one line, not a traceback
            raise TypeError(f"{name or fn.__name__}: {type(err).__name__}: {err}") from None
        if counting:
            _spend_made(max(_made_size(result) - spent, 0))
        return result
    return wrapper


# -- methods: str methods that can make big strings are sized before they run

def _method_size(env: SandboxedEnvironment, owner: str, name: str, args: tuple, kwargs: dict) -> tuple[tuple, float] | None:
    """(the arguments, possibly read into a list, and the result's size) for a str method, or None."""
    if name in ("center", "ljust", "rjust", "zfill"):
        width = _arg(args, kwargs, 0, "width", 0)
        return args, max(len(owner), width if isinstance(width, int) else 0)
    if name == "expandtabs":
        tab = _arg(args, kwargs, 0, "tabsize", 8)
        return args, len(owner) + owner.count("\t") * max(tab if isinstance(tab, int) else 8, 1)
    if name == "replace":
        return args, _size_replace(owner, args, kwargs)[3]
    if name == "join" and args:
        items = _items(args[0])
        return (items, *args[1:]), _sizes(items, _text_size) + max(len(items) - 1, 0) * len(owner)
    if name == "format":
        return args, _format_size(env, owner, args, kwargs)
    if name == "format_map" and args and isinstance(args[0], Mapping):
        return args, _format_size(env, owner, (), args[0])
    if name == "translate" and args:
        table = args[0]
        values = table.values() if isinstance(table, Mapping) else table if isinstance(table, (list, tuple, str)) else ()
        return args, len(owner) * max(max((_text_size(v, MAX_ITEMS) for v in values), default=1), 1)
    if name in ("upper", "lower", "title", "swapcase", "casefold", "capitalize", "encode"):
        return args, 4 * len(owner)
    return None


def _int_bits(value: Any) -> int:
    """Bits of an int or a Fraction (numerator and denominator), 0 for anything else."""
    if isinstance(value, Fraction):
        return value.numerator.bit_length() + value.denominator.bit_length()
    return abs(value).bit_length() if isinstance(value, int) and not isinstance(value, bool) else 0


def _is_sympy(value: Any) -> bool:
    return type(value).__module__.startswith("sympy") and getattr(value, "is_number", False) is True


def _added_size(left: Any, right: Any) -> float:
    """The size of left + right for strings, lists and tuples (Markup escapes the other side)."""
    def size(value: Any, other: Any) -> float:
        if isinstance(value, str) and hasattr(other, "__html__") and not hasattr(value, "__html__"):
            return _escaped_size(value)
        return len(value)
    if isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
        return size(left, right) + size(right, left)
    return 0


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
        with _budgets(MAX_STEPS, MAX_MADE):
            return super().compile(*args, **kwargs)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if _is_sympy(left) or _is_sympy(right):
            from ..solvers.expressions import bounded_arithmetic

            return bounded_arithmetic(operator, left, right)
        counting = _counting()  # not in a document: its own templates are trusted, only capped
        if counting:
            _read(left, right)
        if operator == "+" and counting:
            _take(_added_size(left, right))
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int):
                    if len(seq) * n > MAX_ITEMS:
                        raise SandboxLimit(f"a repeat of {len(seq) * n} items (at most {MAX_ITEMS})")
                    _spend_made(len(seq) * n if counting else 0)
        if operator in ("+", "-", "*", "/") and _int_bits(left) + _int_bits(right) > MAX_BITS:
            raise SandboxLimit("a number with too many digits")
        if operator == "**" and isinstance(right, int) and _int_bits(left) > 1 and _int_bits(left) * right > MAX_BITS:
            raise SandboxLimit(f"a power with too many digits ({left!r:.20} ** {right})")
        if operator == "%" and isinstance(left, str):
            if _WIDE_FORMAT.search(left):
                raise SandboxLimit("a format width of a million or more")
            _take(_percent_size(left, right) * (_ESCAPE if hasattr(left, "__html__") else 1) if counting else 0)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _check_args(args, kwargs)
        counting = _counting()
        target = getattr(__obj, "__wrapped__", __obj)  # str.format comes wrapped
        owner, name = getattr(target, "__self__", None), getattr(target, "__name__", "")
        if counting:
            _read(owner, *args, *kwargs.values(), calls=1)
        if isinstance(owner, str) and _WIDE_FORMAT.search(owner):
            raise SandboxLimit("a format width of a million or more")
        if _is_sympy(owner):
            raise SandboxLimit(f"calling {name}() of a sympy number (use a filter or arithmetic)")
        sized = _method_size(__self, owner, name, args, kwargs) if isinstance(owner, str) and counting else None
        if sized is not None:
            args = sized[0]
            _take(sized[1] * (_ESCAPE if hasattr(owner, "__html__") else 1))
        grows = owner if isinstance(owner, (list, dict, set)) and counting else None
        before = len(grows) if grows is not None else 0
        if grows is not None and name in ("extend", "update") and args and hasattr(args[0], "__len__"):
            _check_length(before + len(args[0]))
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(__obj, Macro):
            return result
        if grows is not None:
            _spend_made(max(_check_length(len(grows)) - before, 0))
        if counting:
            _spend_made(max(_made_size(result) - (sized[1] if sized else 0), 0))
        return _check_size(result)


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
    with _budgets(steps, made):  # a bank text rendered inside a document leaves the document's as they were
        size = 0
        for chunk in template.generate(**context):
            size += len(chunk)
            if size > limit:
                raise SandboxLimit(f"output longer than {limit} characters")
            yield chunk


@contextmanager
def _budgets(steps: float, made: float) -> Iterator[None]:
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
