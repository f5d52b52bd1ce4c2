"""Solver, rule and drawer registries. Each module in this package registers its functions on import.

A question family's code lives in one module under the package of its bank topic
(`solvers/cnn/conv.py` serves `bank/cnn/conv2d-params.yaml`): its solver, rules and drawers, its
independent checker (`checkers.py` holds that registry) and its mistakes (`mistakes.py`).

A solver takes a template's parameters and a `SolveContext` and returns `Solved(answers, work)`.
A rule takes the parameters and returns True when the instance is valid (its docstring says what it
checks, and that text is what an unsatisfiable rule reports). A drawer makes a parameter value that
the YAML domains cannot express (a layer stack, a graph). Solvers raise `Reject` for a degenerate
instance (a tie, a saturated softmax) so the sampler draws again.
"""
from __future__ import annotations

import importlib
import pkgutil
import random
from dataclasses import dataclass
from typing import Any, Callable

from ..models import Params, Solved

SolverFn = Callable[[Params, "SolveContext"], Solved]
RuleFn = Callable[[Params], bool]
DrawerFn = Callable[..., Any]

SOLVERS: dict[str, SolverFn] = {}
RULES: dict[str, RuleFn] = {}
DRAWERS: dict[str, DrawerFn] = {}
_loaded = False


class Reject(Exception):
    """Raised by a solver when a drawn instance is degenerate; the sampler draws again."""


@dataclass(frozen=True)
class SolveContext:
    """Where and how torch work runs: float64 on the chosen device."""

    device: str = "cpu"

    def tensor(self, data: Any) -> "torch.Tensor":  # noqa: F821
        import torch

        return torch.tensor(data, dtype=torch.float64, device=self.device)


def _register(table: dict, name: str) -> Callable:
    def wrap(fn: Callable) -> Callable:
        if name in table and table[name] is not fn:
            raise RuntimeError(f"{name!r} registered twice ({table[name].__module__}, {fn.__module__})")
        table[name] = fn
        return fn

    return wrap


def solver(name: str) -> Callable[[SolverFn], SolverFn]:
    return _register(SOLVERS, name)


def rule(name: str) -> Callable[[RuleFn], RuleFn]:
    return _register(RULES, name)


FollowFn = Callable[[Params, dict[str, Any]], Any]
FOLLOWS: dict[str, FollowFn] = {}


def follows(solver_name: str, answer: str) -> Callable[[FollowFn], FollowFn]:
    """Register `fn(params, answers) -> value`: a later part's answer `answer` recomputed from the
    earlier answers as given (a student's own, possibly wrong, earlier value), for follow-through
    marks (`depends:` on the part; examgen grade)."""
    return _register(FOLLOWS, f"{solver_name}:{answer}")


def drawer(name: str) -> Callable[[DrawerFn], DrawerFn]:
    """Register `fn(rng: random.Random, params: dict, **args)` as a parameter drawer."""
    return _register(DRAWERS, name)


def load_all() -> None:
    """Import every solver module once (the topic packages' modules too), so their registrations
    exist."""
    global _loaded
    if _loaded:
        return
    _import_tree(__name__, __path__)
    _loaded = True


def _import_tree(package: str, path: list[str]) -> None:
    for info in pkgutil.iter_modules(path):
        module = importlib.import_module(f"{package}.{info.name}")
        if info.ispkg:
            _import_tree(module.__name__, module.__path__)


def rule_text(name: str) -> str:
    """The one-line description of a rule (its docstring), for error messages."""
    doc = (RULES[name].__doc__ or name).strip().splitlines()[0]
    return doc.rstrip(".")


__all__ = ["Reject", "SolveContext", "Solved", "solver", "rule", "drawer", "follows", "SOLVERS", "RULES", "FOLLOWS",
           "DRAWERS", "load_all", "rule_text", "random"]
