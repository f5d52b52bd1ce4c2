"""General degeneracy checks for a solved instance, which a template declares in its YAML:

```yaml
degenerate:
  identical-rows: [weights]        # names of answers, working values or parameters
  constant-columns: [V]
  uniform-softmax: [weights]       # a row (near) uniform, or saturated (one entry above 0.99)
  argmax-tie: [scores]
  zero-gradient: [dW3, dW4]
  equals-given: {rates: [eta0]}    # no entry of an answer equals an entry of the given values
  same-parts: [[grad_x1, grad_x2, {x1: x2}]]   # equal, up to the optional renaming of symbols
```

A plain list (`degenerate: [identical-rows, argmax-tie]`) applies the checks to every answer.
The functions are also what solvers call to `Reject` such draws; `examgen check` runs the
declared ones over every sample and names the seed of each failure.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

from ..models import Instance, Template

TOL = 1e-6               # two values closer than this are "the same"
SATURATED = 0.99         # a softmax weight above this leaves the other words out
CHECK_NAMES = ("identical-rows", "identical-columns", "constant-columns", "uniform-softmax",
               "argmax-tie", "zero-gradient", "equals-given", "same-parts")


def numbers(value: Any) -> Iterator[float]:
    """Every number in a nested value (lists, tensors, sympy numbers, fractions)."""
    value = _plainish(value)
    if isinstance(value, dict):
        for item in value.values():
            yield from numbers(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from numbers(item)
    elif isinstance(value, bool) or isinstance(value, str) or value is None:
        return
    else:
        try:
            yield float(value)
        except (TypeError, ValueError):
            return


def rows_of(value: Any) -> list[list[float]]:
    """A matrix as rows of floats (a vector is one row); [] for anything else."""
    value = _plainish(value)
    if not isinstance(value, (list, tuple)) or not value:
        return []
    if all(isinstance(r, (list, tuple)) for r in value):
        return [list(numbers(r)) for r in value]
    return [list(numbers(value))]


def _plainish(value: Any) -> Any:
    module = type(value).__module__
    if module.startswith(("torch", "numpy")):
        return value.tolist()
    if module.startswith("sympy") and hasattr(value, "tolist") and hasattr(value, "shape"):
        return value.tolist()
    return value


def _same(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= TOL for x, y in zip(a, b))


def identical_rows(m: Any) -> str | None:
    rows = rows_of(m)
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            if len(rows[i]) > 1 and _same(rows[i], rows[j]):
                return f"rows {i + 1} and {j + 1} are identical"
    return None


def identical_columns(m: Any) -> str | None:
    rows = rows_of(m)
    if len(rows) < 2:
        return None
    found = identical_rows([list(c) for c in zip(*rows)])
    return found.replace("rows", "columns") if found else None


def constant_columns(m: Any) -> str | None:
    rows = rows_of(m)
    if len(rows) < 2:
        return None
    for j, col in enumerate(zip(*rows)):
        if max(col) - min(col) <= TOL:
            return f"column {j + 1} is constant ({col[0]:g})"
    return None


def uniform_softmax(m: Any) -> str | None:
    for i, row in enumerate(rows_of(m)):
        if len(row) > 1 and max(row) - min(row) <= 1e-3:
            return f"softmax row {i + 1} is uniform"
        if max(row) > SATURATED:
            return f"softmax row {i + 1} is saturated (a weight of {max(row):.4f})"
    return None


def argmax_tie(m: Any) -> str | None:
    for i, row in enumerate(rows_of(m)):
        top = max(row, default=0.0)
        if sum(abs(x - top) <= TOL for x in row) > 1:
            return f"row {i + 1} has a tie for the largest value ({top:g})"
    return None


def zero_gradient(m: Any) -> str | None:
    values = list(numbers(m))
    return "the gradient is zero everywhere" if values and all(abs(x) <= TOL for x in values) else None


def equals_given(value: Any, given: list[Any]) -> str | None:
    shown = [g for item in given for g in numbers(item)]
    for x in numbers(value):
        if any(abs(x - g) <= TOL for g in shown):
            return f"the answer {x:g} equals a value the question gives"
    return None


def same_parts(a: Any, b: Any, rename: dict[str, str] | None = None) -> str | None:
    """Two answers equal, or equal once symbol names are renamed (x1 -> x2) in the first."""
    if _plainish(a) == _plainish(b):
        return "two parts have the same answer"
    if not rename or not type(a).__module__.startswith("sympy"):
        nums_a, nums_b = list(numbers(a)), list(numbers(b))
        return "two parts have the same answer" if nums_a and _same(nums_a, nums_b) else None
    import sympy

    subs = {s: sympy.Symbol(_renamed(s.name, rename)) for s in a.free_symbols}
    if sympy.expand(a.xreplace(subs) - b) == 0:
        return "two parts have the same answer up to renaming " + ", ".join(f"{k}->{v}" for k, v in rename.items())
    return None


def _renamed(name: str, rename: dict[str, str]) -> str:
    for old, new in rename.items():
        name = name.replace(old, new)
    return name


MATRIX_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "identical-rows": identical_rows, "identical-columns": identical_columns,
    "constant-columns": constant_columns, "uniform-softmax": uniform_softmax,
    "argmax-tie": argmax_tie, "zero-gradient": zero_gradient,
}


def lookup(instance: Instance, name: str) -> Any:
    """A named answer, working value or parameter of a solved instance."""
    for table in (instance.solved.answers, instance.solved.work, instance.params):
        if name in table:
            return table[name]
    raise KeyError(name)


def declared(template: Template) -> dict[str, Any]:
    """The template's declarations, the list form spread over every answer."""
    spec = template.degenerate
    if isinstance(spec, dict):
        return spec
    return {name: None for name in spec}


def degenerate_problems(instance: Instance) -> list[str]:
    """Every declared degeneracy this instance shows, one line each."""
    problems = []
    for check, targets in declared(instance.template).items():
        for problem in _run(instance, check, targets):
            problems.append(f"degenerate ({check}): {problem}")
    return problems


def _run(instance: Instance, check: str, targets: Any) -> list[str]:
    answers = instance.solved.answers
    if check in MATRIX_CHECKS:
        names = targets if targets is not None else list(answers)
        return [f"{n}: {p}" for n in names if (p := MATRIX_CHECKS[check](lookup(instance, n)))]
    if check == "equals-given":
        pairs = targets.items() if isinstance(targets, dict) else ((n, list(instance.params)) for n in answers)
        return [f"{n}: {p}" for n, given in pairs
                if (p := equals_given(lookup(instance, n), [lookup(instance, g) for g in given]))]
    if check == "same-parts":
        pairs = targets if targets is not None else _all_pairs(list(answers))
        found = []
        for pair in pairs:
            a, b, *rest = pair
            problem = same_parts(lookup(instance, a), lookup(instance, b), rest[0] if rest else None)
            found += [f"{a}, {b}: {problem}"] if problem else []
        return found
    return []


def _all_pairs(names: list[str]) -> list[list[str]]:
    return [[a, b] for i, a in enumerate(names) for b in names[i + 1:]]


def declaration_problems(spec: Any, known: set[str] | None = None) -> list[str]:
    """What is wrong with a template's `degenerate` field (for the bank's schema check)."""
    if isinstance(spec, (list, tuple)):
        return [f"unknown check {c!r} (known: {', '.join(CHECK_NAMES)})" for c in spec
                if not isinstance(c, str) or c not in CHECK_NAMES]
    if not isinstance(spec, dict):
        return ["expected a list of check names or a mapping of check name to values"]
    problems = [f"unknown check {c!r} (known: {', '.join(CHECK_NAMES)})" for c in spec if c not in CHECK_NAMES]
    for check, targets in spec.items():
        if check == "equals-given" and not isinstance(targets, dict):
            problems.append("equals-given: expected a mapping of answer to the given values")
        elif check == "same-parts" and not (isinstance(targets, list) and all(
                isinstance(p, list) and 2 <= len(p) <= 3 for p in targets)):
            problems.append("same-parts: expected a list of [answer, answer] or [answer, answer, {old: new}]")
        elif check in MATRIX_CHECKS and not isinstance(targets, list):
            problems.append(f"{check}: expected a list of answer names")
    return problems
