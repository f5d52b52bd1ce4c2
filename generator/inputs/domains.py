"""Parameter domains: how each declared parameter is drawn, checked and parsed from the command line."""
from __future__ import annotations

import math
import random
import re
from typing import Any, Callable

import yaml

from ..errors import ParamError, SamplingError
from .schema import Problems, expect, unknown_keys
from ..solvers import DRAWERS, load_all
from ..safety.yamlsafe import parse_yaml

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


MAX_SIZE = 100          # longest drawn vector, most matrix rows or columns
MAX_DECIMALS = 6
MAX_CLI_VALUE = 10_000  # characters in one --set value
NONZERO_TRIES = 100     # redraws of a zero before a `nonzero` draw picks among the non-zero values


def check_domain(problems: Problems, name: str, domain: Any, earlier: dict[str, Any]) -> None:
    """Record every problem with one parameter's declared domain (`earlier`: the parameters before it)."""
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
    check_limits(problems, where, kind, domain, earlier)
    if kind == "draw":
        load_all()
        if domain.get("using") not in DRAWERS:
            problems.add(f"{where}.using", f"no drawer named {domain.get('using')!r}")


def _number(value: Any) -> bool:
    return _is_number(value) and (isinstance(value, int) or math.isfinite(value))


def _finite_float(value: float) -> bool:
    """Whether a number is a finite float (a whole number of 400 digits is not)."""
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def check_limits(problems: Problems, where: str, kind: str, domain: dict, earlier: dict[str, Any]) -> None:
    """Domains that cannot be drawn from, or would draw without end, fail when the bank loads."""
    bounds = [domain[k] for k in ("min", "max") if k in domain]
    for key in ("min", "max"):
        if key in domain and not _number(domain[key]):
            problems.add(f"{where}.{key}", f"expected a finite number, got {domain[key]!r:.40}")
    if len(bounds) == 2 and all(map(_number, bounds)) and bounds[0] > bounds[1]:
        problems.add(where, f"min {bounds[0]} is above max {bounds[1]}")
    if "step" in domain and not (_is_int(domain["step"]) and domain["step"] >= 1):
        problems.add(f"{where}.step", f"expected a whole number of at least 1, got {domain['step']!r:.40}")
    if "choices" in domain:
        _check_choices(problems, where, kind, domain["choices"])
    if "decimals" in domain and not (_is_int(domain["decimals"]) and 0 <= domain["decimals"] <= MAX_DECIMALS):
        problems.add(f"{where}.decimals", f"expected a whole number from 0 to {MAX_DECIMALS}")
    elif kind in ("float", "vector", "matrix") and all(map(_number, bounds)) and not all(
            _finite_float(b * 10 ** domain.get("decimals", 0)) for b in bounds):
        problems.add(where, f"min and max must stay finite at {domain.get('decimals', 0)} decimal places")
    for key in ("size", "rows", "cols"):
        if key in domain:
            _check_size(problems, f"{where}.{key}", domain[key], earlier)
    if kind == "draw" and not isinstance(domain.get("args", {}), dict):
        problems.add(f"{where}.args", "expected a mapping of drawer arguments")
    if "nonzero" in domain:
        _check_nonzero(problems, where, kind, domain)


def _check_nonzero(problems: Problems, where: str, kind: str, domain: dict) -> None:
    """`nonzero` is true or false, and a true one leaves a non-zero value to draw (else drawing
    would redraw a zero for ever)."""
    flag = domain["nonzero"]
    if not isinstance(flag, bool):
        problems.add(f"{where}.nonzero", f"expected true or false, got {flag!r:.40}")
        return
    values = _admissible(kind, domain) if flag else None
    if values is not None and not _has_nonzero(values):
        problems.add(f"{where}.nonzero", f"no non-zero value to draw: {_describe(kind, domain)} gives only 0")


def _admissible(kind: str, domain: dict) -> range | list | None:
    """What a well-formed domain draws from: its int choices, or its whole numbers (for a float,
    vector or matrix, the multiples of 10**-decimals, as integers); None where the domain is not
    well formed (its other problems are reported) or has no numbers (only int, float, vector and
    matrix take `nonzero`)."""
    if kind == "int" and "choices" in domain:
        choices = domain["choices"]
        return choices if isinstance(choices, list) and choices and all(_is_int(c) for c in choices) else None
    lo, hi = domain.get("min"), domain.get("max")
    if kind not in ("int", "float", "vector", "matrix") or not (_number(lo) and _number(hi)) or lo > hi:
        return None
    if kind == "int":
        step = domain.get("step", 1)
        return range(int(lo), int(hi) + 1, step) if _is_int(step) and step >= 1 else None
    decimals = domain.get("decimals", 0)
    if not (_is_int(decimals) and 0 <= decimals <= MAX_DECIMALS):
        return None
    return _grid_range(lo, hi, decimals)


def _grid_range(lo: float, hi: float, decimals: int) -> range:
    """The integers k with k / 10**decimals between lo and hi (as drawn: each end rounded)."""
    scale = 10 ** decimals
    return range(round(lo * scale), round(hi * scale) + 1)


def _has_nonzero(values: range | list) -> bool:
    """Whether any value is not 0 (without len(), which a range of huge numbers overflows)."""
    if isinstance(values, list):
        return any(v != 0 for v in values)
    return values.start < values.stop and not (values.start == 0 and values.step >= values.stop)


def _describe(kind: str, domain: dict) -> str:
    if kind == "int" and "choices" in domain:
        return f"choices {domain['choices']!r:.40}"
    step = f" in steps of {domain['step']}" if "step" in domain else ""
    places = f" at {domain.get('decimals', 0)} decimal places" if kind != "int" else ""
    return f"min {domain['min']} to max {domain['max']}{step}{places}"


def _check_choices(problems: Problems, where: str, kind: str, choices: Any) -> None:
    if not isinstance(choices, list) or not choices:
        problems.add(f"{where}.choices", "expected a non-empty list")
    elif kind == "int" and not all(_is_int(c) for c in choices):
        problems.add(f"{where}.choices", "expected whole numbers")
    elif len(choices) > 10_000:
        problems.add(f"{where}.choices", "more than 10000 choices")


def _check_size(problems: Problems, where: str, size: Any, earlier: dict[str, Any]) -> None:
    """A size is a whole number from 1 to MAX_SIZE, or an earlier int parameter that stays in that range."""
    if isinstance(size, str):
        largest = _largest(earlier.get(size))
        if size in earlier and (largest is None or largest > MAX_SIZE):
            problems.add(where, f"{size!r} must be an int parameter of at most {MAX_SIZE}")
    elif not (_is_int(size) and 1 <= size <= MAX_SIZE):
        problems.add(where, f"expected a whole number from 1 to {MAX_SIZE} (or an earlier parameter), "
                            f"got {size!r:.40}")


def _largest(domain: Any) -> int | None:
    """The largest whole number a domain can give, or None if it gives something else."""
    if not isinstance(domain, dict):
        return None
    values = domain.get("choices") if "choices" in domain else [domain.get("max", domain.get("value"))]
    if isinstance(values, list) and values and all(_is_int(v) for v in values):
        return max(values)
    return None


def _size(value: int | str, params: dict[str, Any]) -> int:
    return int(params[value]) if isinstance(value, str) else int(value)


def _grid(rng: random.Random, lo: float, hi: float, decimals: int, nonzero: bool) -> int | float:
    """A uniform draw from the numbers between lo and hi with `decimals` places."""
    values = _grid_range(lo, hi, decimals)
    k = _draw_from(rng, values, nonzero, lambda: rng.randint(values.start, values.stop - 1))
    return k if decimals == 0 else round(k / 10 ** decimals, decimals)


def _draw_from(rng: random.Random, values: range, nonzero: bool, draw: Callable[[], int]) -> int:
    """`draw()` (one uniform draw from `values`); with `nonzero`, a uniform draw from the non-zero
    values: a zero is redrawn at most NONZERO_TRIES times (the same random numbers as redrawing
    until it is not zero), then one of the others is chosen directly, so no loop can run for ever."""
    if not nonzero:
        return draw()
    if not _has_nonzero(values):
        raise SamplingError(f"a nonzero domain from {values.start} to {values.stop - 1} has no non-zero value")
    for _ in range(NONZERO_TRIES):
        value = draw()
        if value != 0:
            return value
    count = (values.stop - values.start + values.step - 1) // values.step - (0 in values)
    index = rng.randrange(count)
    if 0 in values and index >= -values.start // values.step:
        index += 1
    return values.start + index * values.step


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
    nonzero = domain.get("nonzero") is True
    if kind == "int":
        if "choices" in domain:
            choices = [c for c in domain["choices"] if not (nonzero and c == 0)]
            if not choices:
                raise SamplingError(f"a nonzero domain with choices {domain['choices']!r:.40} has no non-zero value")
            return rng.choice(choices)
        values = range(int(domain["min"]), int(domain["max"]) + 1, int(domain.get("step", 1)))
        return _draw_from(rng, values, nonzero, lambda: rng.randrange(values.start, values.stop, values.step))
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
    if len(text) > MAX_CLI_VALUE:
        raise ParamError(f"--set value of {len(text)} characters: at most {MAX_CLI_VALUE}")
    try:
        return parse_yaml(text)
    except yaml.YAMLError:
        return text


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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


def check_given(name: str, domain: Domain, value: Any, params: dict[str, Any], strict: bool = True) -> Any:
    """A given value of the right type and shape for its domain; `strict` (--set) also keeps to its
    range, choices and fixed value, which a paper's own values (presets) may leave."""
    value = coerce_value(name, domain, value, params)
    if isinstance(value, list) and (len(value) > MAX_SIZE or len(value[0] if value and isinstance(value[0], list) else ()) > MAX_SIZE):
        raise ParamError(f"{name}: more than {MAX_SIZE} values in a row")
    why = _outside(domain, value, params) if strict else None
    if why:
        raise ParamError(f"{name}={_short(value)}: {why}")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _outside(domain: Domain, value: Any, params: dict[str, Any]) -> str | None:
    """Why a well-typed value lies outside its domain, or None."""
    kind = domain["type"]
    if kind == "const":
        same = value == domain["value"] and type(value) is type(domain["value"])
        return None if same else f"fixed at {domain['value']!r} for this template"
    if kind == "int" and "choices" in domain:
        return None if value in domain["choices"] else f"expected one of {domain['choices']}"
    if kind == "int" and (value - domain["min"]) % int(domain.get("step", 1)):
        return f"expected a step of {domain['step']} from {domain['min']}"
    if kind == "distribution":
        return _outside_distribution(domain, value)
    if kind == "draw":
        return _unlike_a_draw(domain, value, params)
    sizes = [_given_size(domain.get(k), params) for k in ("size", "rows", "cols")]
    if kind in ("vector", "matrix"):
        shape = [len(value)] if kind == "vector" else [len(value), len(value[0])]
        wanted = [s for s in sizes if s is not None] if kind == "vector" else sizes[1:]
        if any(w is not None and w != got for w, got in zip(wanted, shape)) or max(shape) > MAX_SIZE:
            return f"expected shape {' x '.join(str(w or '?') for w in wanted)} (at most {MAX_SIZE})"
    return _outside_range(domain, value)


def _given_size(size: Any, params: dict[str, Any]) -> int | None:
    if isinstance(size, str):
        return params.get(size) if _is_int(params.get(size)) else None
    return size if _is_int(size) else None


def _flat(value: Any) -> list[Any]:
    return [x for item in value for x in _flat(item)] if isinstance(value, list) else [value]


def _outside_range(domain: Domain, value: Any) -> str | None:
    numbers = _flat(value)
    if not all(_number(x) for x in numbers):
        return "expected finite numbers" if numbers and _is_number(numbers[0]) else None
    lo, hi = domain.get("min"), domain.get("max")
    if lo is not None and hi is not None and not all(lo <= x <= hi for x in numbers):
        return f"expected values from {lo} to {hi}"
    if domain.get("nonzero") and any(x == 0 for x in numbers):
        return "expected non-zero values"
    return None


def _outside_distribution(domain: Domain, value: list) -> str | None:
    if isinstance(domain.get("size"), int) and len(value) != domain["size"]:
        return f"expected {domain['size']} probabilities"
    if not all(_number(x) and x >= 0 for x in value) or abs(sum(value) - 1) > 1e-9:
        return "expected probabilities (at least 0) that add up to 1"
    return None


def _unlike_a_draw(domain: Domain, value: Any, params: dict[str, Any]) -> str | None:
    """A drawer's value has no declared range, so a given one must have the shape of a drawn one."""
    load_all()
    try:
        sample = DRAWERS[domain["using"]](random.Random(0), dict(params), **domain.get("args", {}))
    except Exception:  # noqa: BLE001 - the drawer needs parameters not given: nothing to compare with
        return None
    return None if _same_shape(sample, value) else f"expected a value shaped like {_short(sample)}"


def _same_shape(sample: Any, value: Any) -> bool:
    """Dicts with the same keys, lists (at most MAX_SIZE) whose items are shaped like the first drawn one."""
    if isinstance(sample, dict):
        return isinstance(value, dict) and set(value) == set(sample) and all(
            _same_shape(sample[k], value[k]) for k in sample)
    if isinstance(sample, (list, tuple)):
        return isinstance(value, list) and len(value) <= MAX_SIZE and (
            not sample or all(_same_shape(sample[0], v) for v in value))
    if _is_number(sample):
        return _number(value)
    return type(value) is type(sample)
