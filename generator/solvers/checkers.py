"""The registry of independent checkers, and the helpers checkers share.

A checker is a second way to compute what a solver computes, used by `examgen check`; each one lives
in its family's module, beside the solver it checks.

A checker is registered under its solver's name with `@checker("solver_name")` and returns the
problems it finds (an empty list when the solver's answers agree). Checkers avoid the code path
the solver takes: pure-Python loops and formulas against torch, torch modules against formulas.
Solvers without a checker are reported as "no independent check", not as failures.
"""
from __future__ import annotations

import math
from typing import Any, Callable

from ..models import Params, Solved

CheckerFn = Callable[[Params, Solved], list[str]]
CHECKERS: dict[str, CheckerFn] = {}
REGISTERED: dict[str, list[CheckerFn]] = {}   # each solver's checkers as written, in order

EXACT_TOL = 1e-9     # values the solver gives unrounded
ROUNDED_TOL = 5e-5   # values the solver rounds to four places (half a unit in the last place)


def checker(name: str) -> Callable[[CheckerFn], CheckerFn]:
    """Register `fn(params, solved) -> problems` as an independent check of solver `name`; a second
    checker for the same solver runs after the first (two checks are better than one)."""
    def wrap(fn: CheckerFn) -> CheckerFn:
        earlier = CHECKERS.get(name)
        CHECKERS[name] = fn if earlier in (None, fn) else _both(earlier, fn)
        if fn not in REGISTERED.setdefault(name, []):
            REGISTERED[name].append(fn)
        return fn
    return wrap


def _both(first: CheckerFn, second: CheckerFn) -> CheckerFn:
    def both(p: Params, solved: Solved) -> list[str]:
        return first(p, solved) + second(p, solved)
    return both


def differences(label: str, got: Any, want: Any, tol: float = EXACT_TOL) -> list[str]:
    """Where two nested lists of numbers differ by more than `tol` (or differ in shape)."""
    if isinstance(want, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(got) != len(want):
            return [f"{label}: solver gives {_short(got)}, independent check gives {_short(want)}"]
        return [d for i, (g, w) in enumerate(zip(got, want)) for d in differences(f"{label}[{i}]", g, w, tol)]
    try:
        close = abs(float(got) - float(want)) <= tol + 1e-12 * abs(float(want))
    except (TypeError, ValueError):
        close = got == want
    return [] if close else [f"{label}: solver gives {_short(got)}, independent check gives {_short(want)} (tol {tol:g})"]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def tensor64(data: Any) -> "torch.Tensor":  # noqa: F821
    """A float64 CPU tensor, for checkers that let torch do what the solver did by hand."""
    import torch

    return torch.tensor(data, dtype=torch.float64)


def sigmoid(v: float) -> float:
    return 1 / (1 + math.exp(-v))


def field_by_intervals(kernels: list[int], strides: list[int]) -> int:
    """Width of the input interval one output unit sees, walking the layers backwards (padding
    shifts the interval but does not change its width)."""
    lo = hi = 0
    for k, s in reversed(list(zip(kernels, strides))):
        lo, hi = lo * s, hi * s + k - 1
    return hi - lo + 1


# --- finite differences: gradient solvers are checked against a plain-Python forward pass ------

FD_STEP = 1e-4
FD_TOL = 1e-6


def central_difference(f: Callable[[float], float], at: float, h: float = FD_STEP) -> float:
    """(f(at + h) - f(at - h)) / 2h."""
    return (f(at + h) - f(at - h)) / (2 * h)


def partials(f: Callable[[list[list[float]]], float], at: list[list[float]]) -> list[list[float]]:
    """∂f/∂at[i][j] for every entry of a matrix, by central differences."""
    def moved(i: int, j: int, t: float) -> list[list[float]]:
        return [[t if (a, b) == (i, j) else v for b, v in enumerate(row)] for a, row in enumerate(at)]
    return [[central_difference(lambda t: f(moved(i, j, t)), v) for j, v in enumerate(row)]
            for i, row in enumerate(at)]


# the solvers whose checkers compare gradients with central differences (the property tests
# draw each of their templates)
GRADIENT_SOLVERS = ("compgraph_backprop", "gradcheck_centred", "momentum_quadratic", "conv_backward",
                    "sigmoid_net_numeric", "autoencoder_relu")
