"""Sizes worked out before a result is built: an upper bound on the text of a value, on what
`%` and str.format print, on what a filter (replace, indent, join, format, ...) or a str method
makes from its arguments, and on what + makes of two strings or lists, so that the sandbox can
refuse a value past MAX_ITEMS, and spend it from the render's budget, before it exists.
"""
from __future__ import annotations

import math
import re
from collections.abc import ItemsView, Iterable, KeysView, Mapping, ValuesView
from fractions import Fraction
from itertools import islice
from string import Formatter
from typing import Any, Callable

from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import Namespace

from .budget import MAX_ITEMS, SIZED, check_length, spend_made, take

_PERCENT = re.compile(r"%(?:\(([^)]*)\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.?)", re.S)
_NUMBER_TEXT = 330         # room for a number a format spec prints (%f of 1e308 has 316 characters)
ESCAPE = 5                 # &#39; for ': the most one character grows when escaped


# -- sizes, estimated without building anything

def text_size(value: Any, cap: float = MAX_ITEMS, quoted: bool = False) -> int:
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


def sizes(values: Iterable[Any], size: Callable[[Any, float], float]) -> float:
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


def made_size(value: Any) -> int:
    """What a result cost to make: a string's length, a list's items and those of its sublists,
    a dict's or a set's entries."""
    if isinstance(value, (str, dict, set, frozenset)):
        return len(value)
    if isinstance(value, (list, tuple)):
        return len(value) + sum(len(x) for x in value if isinstance(x, (list, tuple)))
    return 0


def _items(value: Any) -> list:
    """An iterable as a list, refused past MAX_ITEMS items (a generator is read only that far)."""
    found = list(islice(value, MAX_ITEMS + 1)) if not isinstance(value, SIZED) else list(value)
    check_length(len(found))
    return found


def _as_text(value: Any) -> str:
    """str(value), sized first."""
    if isinstance(value, str):
        return value
    take(text_size(value))
    return str(value)


def percent_size(fmt: str, values: Any) -> float:
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
        total += text_size(value, MAX_ITEMS - total, quoted) * (3 if quoted else 1) + _NUMBER_TEXT
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
        size = text_size(value, MAX_ITEMS - total, conversion in ("r", "a"))
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
    return value, args, kwargs, max(text_size(value), width if isinstance(width, int) else 0)


def _size_format(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    text = _as_text(value)
    return text, args, kwargs, percent_size(text, kwargs or args)


def _size_join(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    items, args, kwargs = _by_attribute(value, args, kwargs, head, 1)
    joint = text_size(_arg(args, kwargs, 0, "d", ""))  # str(d) is made even for one item
    return items, args, kwargs, joint + sizes(items, text_size) + max(len(items) - 1, 0) * joint


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
    spend_made(max(work - running, 0))
    return items, args, kwargs, running


def _size_text(factor: int) -> Callable[..., Sized]:
    """Filters whose result is at most `factor` times their value's text (upper, urlencode, ...)."""
    def size(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
        return value, args, kwargs, factor * text_size(value)
    return size


def _size_layout(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    """pprint and tojson(indent): each line may be indented by up to the whole text: size squared."""
    size = text_size(value, MAX_ITEMS, quoted=True)
    indent = _arg(args, kwargs, 0, "indent", 1)
    unit = indent if isinstance(indent, int) and indent > 0 else 1
    return value, args, kwargs, 6 * size + size * (size * unit + 1)


def _size_tojson(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    if _arg(args, kwargs, 0, "indent", None):
        return _size_layout(value, args, kwargs)
    return _size_text(6)(value, args, kwargs)


def _size_urlize(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    text = _as_text(value)
    extra = sum(text_size(a) for a in (*args, *kwargs.values()))
    return text, args, kwargs, ESCAPE * len(text) + (len(text.split()) + 1) * (100 + extra)


def _size_wordwrap(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    text = _as_text(value)
    wrap = _arg(args, kwargs, 2, "wrapstring", None)
    return text, args, kwargs, len(text) * (1 + (len(wrap) if isinstance(wrap, str) else 2))


def _size_copies(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    """batch and slice copy every item into new lists."""
    items = _items(value)
    return items, args, kwargs, 2 * len(items) + 2


def _size_escape(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    return value, args, kwargs, _escaped_size(value) if isinstance(value, str) else ESCAPE * text_size(value)


def _size_xmlattr(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    size = ESCAPE * text_size(value) + 4 * len(value) + 2 if isinstance(value, Mapping) else 0
    return value, args, kwargs, size


def _size_truncate(value: Any, args: tuple, kwargs: dict, head: tuple = ()) -> Sized:
    return value, args, kwargs, text_size(value) + text_size(_arg(args, kwargs, 2, "end", "..."))


def _arg(args: tuple, kwargs: dict, index: int, name: str, default: Any) -> Any:
    return args[index] if len(args) > index else kwargs.get(name, default)


FILTER_SIZES: dict[str, Callable[..., Sized]] = {
    "replace": _size_replace, "indent": _size_indent, "join": _size_join, "sum": _size_sum,
    "center": _size_center, "format": _size_format, "truncate": _size_truncate,
    "string": _size_text(1), "upper": _size_text(3), "lower": _size_text(3), "title": _size_text(3),
    "capitalize": _size_text(3), "urlencode": _size_text(12), "pprint": _size_layout, "tojson": _size_tojson,
    "urlize": _size_urlize, "wordwrap": _size_wordwrap, "batch": _size_copies, "slice": _size_copies,
    "e": _size_escape, "escape": _size_escape, "forceescape": _size_escape, "xmlattr": _size_xmlattr,
    "trim": _size_text(1), "striptags": _size_text(1), "wordcount": _size_text(1), "safe": _size_text(1),
}


# -- methods: str methods that can make big strings are sized before they run

def method_size(env: SandboxedEnvironment, owner: str, name: str, args: tuple, kwargs: dict) -> tuple[tuple, float] | None:
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
        return (items, *args[1:]), sizes(items, text_size) + max(len(items) - 1, 0) * len(owner)
    if name == "format":
        return args, _format_size(env, owner, args, kwargs)
    if name == "format_map" and args and isinstance(args[0], Mapping):
        return args, _format_size(env, owner, (), args[0])
    if name == "translate" and args:
        table = args[0]
        values = table.values() if isinstance(table, Mapping) else table if isinstance(table, (list, tuple, str)) else ()
        return args, len(owner) * max(max((text_size(v, MAX_ITEMS) for v in values), default=1), 1)
    if name in ("upper", "lower", "title", "swapcase", "casefold", "capitalize", "encode"):
        return args, 4 * len(owner)
    return None


def int_bits(value: Any) -> int:
    """Bits of an int or a Fraction (numerator and denominator), 0 for anything else."""
    if isinstance(value, Fraction):
        return value.numerator.bit_length() + value.denominator.bit_length()
    return abs(value).bit_length() if isinstance(value, int) and not isinstance(value, bool) else 0


def added_size(left: Any, right: Any) -> float:
    """The size of left + right for strings, lists and tuples (Markup escapes the other side)."""
    def size(value: Any, other: Any) -> float:
        if isinstance(value, str) and hasattr(other, "__html__") and not hasattr(value, "__html__"):
            return _escaped_size(value)
        return len(value)
    if isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
        return size(left, right) + size(right, left)
    return 0

