"""A small declarative checker for YAML files: collects every problem with its field path."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable


@dataclass
class Problems:
    """Problems found in one file, reported all at once."""

    file: str
    items: list[str] = field(default_factory=list)

    def add(self, where: str, what: str) -> None:
        self.items.append(f"{where}: {what}" if where else what)

    def __bool__(self) -> bool:
        return bool(self.items)

    def message(self) -> str:
        return f"{self.file}: " + "; ".join(self.items)


def _type_name(value: Any) -> str:
    return type(value).__name__ if value is not None else "nothing"


def expect(problems: Problems, data: dict, key: str, kind: type | tuple[type, ...],
           where: str = "", required: bool = True) -> Any:
    """Return data[key] if it has the right type, else record a problem and return None."""
    path = f"{where}.{key}" if where else key
    if key not in data or data[key] is None:
        if required:
            problems.add(path, "missing")
        return None
    value = data[key]
    shown = kind
    if kind is float:
        kind = (int, float)
    if isinstance(value, bool) and kind is not bool and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        problems.add(path, f"expected {_names(shown)}, got a boolean")
        return None
    if not isinstance(value, kind):
        problems.add(path, f"expected {_names(shown)}, got {_type_name(value)} {value!r:.40}")
        return None
    return value


def _names(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    words = {str: "text", int: "a whole number", float: "a number", list: "a list", dict: "a mapping", bool: "true/false"}
    return " or ".join(words.get(k, k.__name__) for k in kinds)


def unknown_keys(problems: Problems, data: dict, allowed: Iterable[str], where: str = "") -> None:
    """Flag keys the schema does not know (usually typos)."""
    for key in data:
        if key not in allowed:
            problems.add(f"{where}.{key}" if where else str(key), "unknown field")


def one_of(problems: Problems, value: Any, choices: Iterable[str], where: str) -> None:
    choices = tuple(choices)
    if value is not None and value not in choices:
        problems.add(where, f"must be one of {', '.join(choices)}, got {value!r}")


SLUG = re.compile(r"[A-Za-z0-9_-]{1,100}")


def is_slug(value: object) -> bool:
    """Ids name files and folders, so they are plain names: letters, digits, - and _."""
    return isinstance(value, str) and SLUG.fullmatch(value) is not None


def check_marks(problems: Problems, marks: float | None, where: str) -> None:
    """Marks are finite and not negative (.nan or -2 would print as nonsense or break totals)."""
    if marks is not None and not (math.isfinite(marks) and marks >= 0):
        problems.add(where, f"expected a number of at least 0, got {marks!r}")


def balance_problems(spec: Any) -> list[str]:
    """What is wrong with a template's `balance` field (what it means: quality/balance.py)."""
    if not isinstance(spec, dict):
        return ["expected a mapping with outcomes and/or exempt"]
    problems = [f"unknown field {k!r} (known: outcomes, exempt)" for k in spec if k not in ("outcomes", "exempt")]
    outcomes, exempt = spec.get("outcomes", {}), spec.get("exempt", {})
    if not isinstance(outcomes, dict) or not all(isinstance(v, list) and len(v) >= 2 for v in outcomes.values()):
        problems.append("outcomes: expected a mapping of answer name to a list of two or more values")
    if not isinstance(exempt, dict) or not all(isinstance(v, str) and v.strip() for v in exempt.values()):
        problems.append("exempt: expected a mapping of outcome name to the reason")
    return problems
