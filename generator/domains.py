"""Parameter domains: how each declared parameter is drawn, checked and parsed from the command line."""
from __future__ import annotations

import random
import re
from typing import Any

import yaml

from .errors import ParamError
from .schema import Problems, expect, unknown_keys
from .solvers import DRAWERS, load_all

Domain = dict[str, Any]

# domain type → the keys it may have (besides `type` and `doc`)
DOMAIN_KEYS: dict[str, set[str]] = {
    "int": {"min", "max", "step", "choices", "nonzero"},
    "float": {"min", "max", "decimals", "nonzero"},
    "choice": {"choices"},
    "pair": {"min", "max", "square"},
    "vector": {"size", "min", "max", "decimals", "nonzero"},
    "matrix": {"rows", "cols", "min", "max", "decimals", "nonzero"},
    "distribution": {"size", "decimals", "min"},
    "const": {"value"},
    "draw": {"using", "args"},
}
REQUIRED: dict[str, set[str]] = {
    "int": set(), "float": {"min", "max"}, "choice": {"choices"}, "pair": {"min", "max"},
    "vector": {"size", "min", "max"}, "matrix": {"rows", "cols", "min", "max"},
    "distribution": {"size"}, "const": {"value"}, "draw": {"using"},
}


def check_domain(problems: Problems, name: str, domain: Any, earlier: list[str]) -> None:
    """Record every problem with one parameter's declared domain."""
    where = f"params.{name}"
    if not isinstance(domain, dict):
        problems.add(where, "expected a mapping with a `type`")
        return
    kind = expect(problems, domain, "type", str, where)
    if kind is None:
        return
    if kind not in DOMAIN_KEYS:
        problems.add(f"{where}.type", f"unknown type {kind!r} (known: {', '.join(DOMAIN_KEYS)})")
        return
    unknown_keys(problems, domain, DOMAIN_KEYS[kind] | {"type", "doc"}, where)
    for key in REQUIRED[kind]:
        if key not in domain:
            problems.add(f"{where}.{key}", "missing")
    if kind == "int" and "choices" not in domain and not {"min", "max"} <= set(domain):
        problems.add(where, "an int needs min and max, or choices")
    for key in ("size", "rows", "cols"):
        ref = domain.get(key)
        if isinstance(ref, str) and ref not in earlier:
            problems.add(f"{where}.{key}", f"refers to {ref!r}, which is not an earlier parameter")
    if kind == "draw":
        load_all()
        if domain.get("using") not in DRAWERS:
            problems.add(f"{where}.using", f"no drawer named {domain.get('using')!r}")


def _size(value: int | str, params: dict[str, Any]) -> int:
    return int(params[value]) if isinstance(value, str) else int(value)


def _grid(rng: random.Random, lo: float, hi: float, decimals: int, nonzero: bool) -> int | float:
    """A uniform draw from the numbers between lo and hi with `decimals` places."""
    scale = 10 ** decimals
    while True:
        k = rng.randint(round(lo * scale), round(hi * scale))
        if not (nonzero and k == 0):
            return k if decimals == 0 else round(k / scale, decimals)


def _distribution(rng: random.Random, size: int, decimals: int, least: float) -> list[float]:
    """A probability vector on a decimal grid, each entry at least `least`, summing to exactly 1."""
    scale = 10 ** decimals
    floor = round(least * scale)
    spare = scale - floor * size
    if spare < 0:
        raise ParamError(f"distribution of size {size} cannot have every entry >= {least}")
    cuts = sorted(rng.randint(0, spare) for _ in range(size - 1))
    shares = [b - a for a, b in zip([0, *cuts], [*cuts, spare])]
    return [round((floor + s) / scale, decimals) for s in shares]


def draw_value(domain: Domain, rng: random.Random, params: dict[str, Any]) -> Any:
    """One value from a declared domain; earlier parameters are available for sizes."""
    kind = domain["type"]
    dec = int(domain.get("decimals", 0))
    nonzero = bool(domain.get("nonzero", False))
    if kind == "int":
        if "choices" in domain:
            return rng.choice(list(domain["choices"]))
        step = int(domain.get("step", 1))
        while True:
            value = rng.randrange(int(domain["min"]), int(domain["max"]) + 1, step)
            if not (nonzero and value == 0):
                return value
    if kind == "float":
        return _grid(rng, domain["min"], domain["max"], dec, nonzero)
    if kind == "choice":
        return rng.choice(list(domain["choices"]))
    if kind == "pair":
        first = rng.randint(domain["min"], domain["max"])
        return [first, first if domain.get("square") else rng.randint(domain["min"], domain["max"])]
    if kind == "vector":
        size = _size(domain["size"], params)
        return [_grid(rng, domain["min"], domain["max"], dec, nonzero) for _ in range(size)]
    if kind == "matrix":
        rows, cols = _size(domain["rows"], params), _size(domain["cols"], params)
        return [[_grid(rng, domain["min"], domain["max"], dec, nonzero) for _ in range(cols)]
                for _ in range(rows)]
    if kind == "distribution":
        return _distribution(rng, _size(domain["size"], params), int(domain.get("decimals", 2)),
                             float(domain.get("min", 0.05)))
    if kind == "const":
        return domain["value"]
    load_all()
    return DRAWERS[domain["using"]](rng, params, **domain.get("args", {}))


def parse_cli_value(text: str) -> Any:
    """`--set name=value`: '5x9' is a pair, anything else is read as YAML (safely)."""
    match = re.fullmatch(r"\s*(-?\d+)\s*[xX×]\s*(-?\d+)\s*", text)
    if match:
        return [int(match.group(1)), int(match.group(2))]
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def coerce_value(name: str, domain: Domain, value: Any, params: dict[str, Any]) -> Any:
    """Check a given (not drawn) value against its domain's type and shape; return it normalised."""
    kind = domain["type"]
    bad = lambda why: ParamError(f"{name}={value!r}: {why}")  # noqa: E731
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise bad("expected a whole number")
        return value
    if kind == "float":
        if not _is_number(value):
            raise bad("expected a number")
        return value
    if kind == "choice":
        if value not in domain["choices"]:
            raise bad(f"expected one of {domain['choices']}")
        return value
    if kind == "pair":
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value, value]
        if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)):
            raise bad("expected two whole numbers, e.g. 5x9")
        if min(value) < 1:
            raise bad("sizes must be at least 1")
        return list(value)
    if kind in ("vector", "distribution"):
        if not (isinstance(value, list) and all(_is_number(v) for v in value)):
            raise bad("expected a list of numbers")
        if "size" in domain and isinstance(domain["size"], int) and len(value) != domain["size"]:
            raise bad(f"expected {domain['size']} numbers")
        return value
    if kind == "matrix":
        ok = isinstance(value, list) and value and all(
            isinstance(r, list) and len(r) == len(value[0]) and all(_is_number(v) for v in r) for r in value)
        if not ok:
            raise bad("expected a rectangular list of lists of numbers")
        return value
    return value
