"""A response as a student writes it, read into a value: a number (`81936`, `ln(20/7)`), a list or
shape (`[2, 16, 26, 26]`, `2x16x26x26`), a matrix by rows (`[[0,-5],[-6,-21]]`, `0 -5; -6 -21`),
labelled values (`conv1: [2,16,24,24]; relu1: [2,16,24,24]`) or option labels (`ii`, `i, iii`).

Nothing is evaluated as Python: numbers and expressions go through solvers.common.read_printed,
which lets through only numbers, operators, brackets and whitelisted functions. What cannot be
read raises Unreadable with the reason (the part is then graded by hand, never a crash).
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from .expected import exact_decimal

ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii")
MAX_LENGTH = 2000            # longer than any value a part asks for: read as prose
THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class Unreadable(ValueError):
    """The response is not a value of the kind the part asks for; the message says why."""


def number(text: str, unit: str = "") -> Decimal:
    """One number: plain (`81936`, `81,936`, `1.05`), or an expression with no unknowns (`-ln(0.3)`)."""
    text = text.strip().rstrip(".")
    for word in filter(None, (unit, unit.rstrip("s"), "approx")):
        if text.lower().endswith(word.lower()):
            text = text[: -len(word)].strip()
    text = text.replace("\u2212", "-").replace("×", "*").replace("·", "*")
    if "≈" in text or "~" in text:                 # `ln(20/7) ≈ 1.05`: the number after it
        text = re.split(r"≈|~", text)[-1].strip()
    if THOUSANDS.match(text):
        text = text.replace(",", "")
    text = re.sub(r"(?<=\d) (?=\d{3}\b)", "", text)   # 81 936
    if PLAIN.match(text):
        return Decimal(text)
    if not text:
        raise Unreadable("no number")
    from ..solvers.common import read_printed

    text = re.sub(r"\bln\b", "log", text.replace("**", "^"))
    if any(not re.match(r"\s*-?\d{1,3}(\.\d+)?(?![\d.]*\s*\^)", text[m.end():]) for m in re.finditer(r"\^", text)):
        raise Unreadable(f"a power examgen does not evaluate (only small whole-number powers): {_short(text)}")

    try:
        value = read_printed(text)
    except ValueError:
        raise Unreadable(f"not a number or expression examgen reads: {_short(text)}") from None
    try:
        if getattr(value, "free_symbols", None) or not getattr(value, "is_number", True):
            raise Unreadable(f"not a number: {_short(text)}")
        if value.is_real is False:
            raise Unreadable(f"not a real number: {_short(text)}")
        return exact_decimal(value)
    except Unreadable:
        raise
    except Exception:   # sympy's many refusals (zoo, nan, overflow): a value no key holds
        raise Unreadable(f"not a finite number: {_short(text)}") from None


def nested(text: str) -> Any:
    """A number, a list (`[2, 16, 26, 26]`, `(2, 16)`, `2x16x26x26`) or a matrix by rows
    (`[[0,-5],[-6,-21]]`, `[0 -5; -6 -21]`), as (nested) lists of Decimals."""
    text = text.strip()
    if not text:
        raise Unreadable("no value")
    text = text.replace("(", "[").replace(")", "]") if _bracketed(text, "(", ")") else text
    if text.startswith("["):
        value, rest = _list(text, 0)
        if text[rest:].strip():
            raise Unreadable(f"text after the closing bracket: {_short(text[rest:])}")
        return value
    if ";" in text:                                   # rows by semicolons, entries by commas or spaces
        return [_row(r) for r in text.split(";") if r.strip()]
    if re.fullmatch(r"\s*\d+(\s*[x×]\s*\d+)+\s*", text):   # 2x16x26x26
        return [Decimal(n) for n in re.split(r"\s*[x×]\s*", text.strip())]
    if "," in text and not THOUSANDS.match(text.strip()):
        return _row(text)
    return number(text)


def _bracketed(text: str, left: str, right: str) -> bool:
    return text.startswith(left) and text.endswith(right)


def _row(text: str) -> list[Decimal]:
    cells = [c for c in text.strip().strip("[]").split(",") if c.strip()]
    if not cells:
        raise Unreadable("an empty row")
    return [x for c in cells for x in _cells(c)]


def _list(text: str, i: int) -> tuple[list, int]:
    """The bracketed list starting at text[i] == '[' and the index after its ']'."""
    assert text[i] == "["
    i += 1
    items: list = []
    cell = ""
    depth_rows: list = []
    while i < len(text):
        ch = text[i]
        if ch == "[":
            if cell.strip():
                raise Unreadable(f"a bracket inside a value: {_short(text)}")
            sub, i = _list(text, i)
            items.append(sub)
            continue
        if ch in ",]" or ch == ";":
            if cell.strip():
                items.extend(_cells(cell))
            elif ch == "," and (not items or text[i - 1] == ","):
                raise Unreadable(f"an empty entry: {_short(text)}")
            cell = ""
            if ch == ";":                 # [0 -5; -6 -21]: a row ends
                depth_rows.append(items)
                items = []
            if ch == "]":
                if depth_rows:
                    depth_rows.append(items)
                    return [r for r in depth_rows if r], i + 1
                return items, i + 1
            i += 1
            continue
        cell += ch
        i += 1
    raise Unreadable(f"a bracket is not closed: {_short(text)}")


def _cells(cell: str) -> list[Decimal]:
    """One cell, or several plain numbers separated by spaces (`0 -5`: two entries, not 0 - 5)."""
    pieces = cell.split()
    if len(pieces) > 1 and all(PLAIN.match(p) for p in pieces):
        return [Decimal(p) for p in pieces]
    return [number(cell)]


def labelled(text: str) -> list[tuple[str, str]]:
    """`conv1: [2,16,24,24]; relu1: [2,16,24,24]` as (label, value text) pairs, split on `;` or new
    lines outside brackets; an entry without a label has label ''."""
    entries, depth, cell = [], 0, ""
    for ch in text:
        depth += (ch in "[(") - (ch in "])")
        if depth == 0 and ch in ";\n":
            entries.append(cell)
            cell = ""
        else:
            cell += ch
    entries.append(cell)
    out = []
    for entry in (e.strip() for e in entries):
        if not entry:
            continue
        out.append(_split_label(entry))
    return out


def _split_label(entry: str) -> tuple[str, str]:
    """`dW[4]: [[1, 2]]` → ('dW[4]', '[[1, 2]]'): the label ends at the first `:` (else `=`) outside
    brackets; an entry without one, or whose would-be label is a number, has label ''."""
    for mark in ":=":
        depth = 0
        for i, ch in enumerate(entry):
            depth += (ch in "[(") - (ch in "])")
            if ch == mark and depth == 0:
                label, value = entry[:i].strip(), entry[i + 1:].strip()
                if label and value and not PLAIN.match(label):
                    return label, value
                break
    return "", entry


def options(text: str, count: int) -> set[int]:
    """Option labels (`ii`, `i, iii`, `(ii)`, or letters a, b, c) as 0-based indices."""
    words = [w for w in re.split(r"[\s,;/&]+|\band\b", text.strip().lower().replace("(", " ").replace(")", " ")) if w]
    if not words:
        raise Unreadable("no option")
    chosen = set()
    for word in words:
        if word in ROMAN[:count]:
            chosen.add(ROMAN.index(word))
        elif len(word) == 1 and "a" <= word <= "z" and ord(word) - ord("a") < count:
            chosen.add(ord(word) - ord("a"))
        elif word.isdigit() and 1 <= int(word) <= count:
            chosen.add(int(word) - 1)
        else:
            raise Unreadable(f"not an option label: {_short(word)} (options are {', '.join(ROMAN[:count])})")
    return chosen


def flat(value: Any) -> list[Decimal]:
    """A (nested) list's numbers in reading order; a number as a list of one."""
    if isinstance(value, list):
        return [x for v in value for x in flat(v)]
    return [value]


def key_name(label: str) -> str:
    """A label compared loosely: case, spaces, backslashes, underscores and braces ignored."""
    return re.sub(r"[\s\\_{}$]", "", label).lower()


def _short(text: str) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= 40 else text[:37] + "...")
