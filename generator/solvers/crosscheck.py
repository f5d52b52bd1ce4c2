"""Independent checkers: a second way to compute what a solver computes, used by `examgen check`.

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

EXACT_TOL = 1e-9     # values the solver gives unrounded
ROUNDED_TOL = 5e-5   # values the solver rounds to four places (half a unit in the last place)


def checker(name: str) -> Callable[[CheckerFn], CheckerFn]:
    """Register `fn(params, solved) -> problems` as an independent check of solver `name`; a second
    checker for the same solver runs after the first (two checks are better than one)."""
    def wrap(fn: CheckerFn) -> CheckerFn:
        earlier = CHECKERS.get(name)
        CHECKERS[name] = fn if earlier in (None, fn) else _both(earlier, fn)
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


# --- by-hand families: the solver does the arithmetic in plain Python (handwork.py), torch checks -

def _tensor(data: Any) -> "torch.Tensor":  # noqa: F821
    import torch

    return torch.tensor(data, dtype=torch.float64)


@checker("conv2d_params")
def check_conv2d_params(p: Params, solved: Solved) -> list[str]:
    """The count on a freshly built nn.Conv2d (on the meta device), against the solver's formula."""
    import torch.nn as nn

    layer = nn.Conv2d(p["in_channels"], p["out_channels"], tuple(p["kernel"]), bias=p["bias"], device="meta")
    return differences("total (nn.Conv2d)", solved.answers["total"], sum(t.numel() for t in layer.parameters()))


@checker("conv2d_by_hand")
def check_conv2d_by_hand(p: Params, solved: Solved) -> list[str]:
    """F.conv2d (what nn.Conv2d computes) and the optional stride-1 F.max_pool2d, in float64."""
    import torch.nn.functional as F

    out = F.conv2d(_tensor(p["image"])[None, None], _tensor(p["kernel"])[None, None])
    problems = differences("output", solved.answers["output"], out[0, 0].tolist())
    if p.get("pool"):
        pooled = F.max_pool2d(out, p["pool"], stride=1)[0, 0].tolist()
        problems += differences("pooled", solved.answers.get("pooled"), pooled)
    return problems


@checker("maxpool_by_hand")
def check_maxpool_by_hand(p: Params, solved: Solved) -> list[str]:
    """F.max_pool2d with the window and stride, in float64."""
    import torch.nn.functional as F

    out = F.max_pool2d(_tensor(p["image"])[None, None], p["window"], stride=p["stride"])[0, 0].tolist()
    return differences("output", solved.answers["output"], out)


@checker("layer_shapes")
def check_layer_shapes(p: Params, solved: Solved) -> list[str]:
    """The stack run through real torch modules on the meta device (shapes.trace): every shape,
    every layer's parameter count (numel), and that torch takes every input the solver passed."""
    from .shapes import trace

    rows, failure = trace(p["input"], p["layers"])
    if failure:
        return [f"torch refuses a shape the solver accepted: {failure}"]
    problems = differences("shapes", solved.answers["shapes"], [r["shape"] for r in rows])
    problems += differences("final_shape", solved.answers["final_shape"], rows[-1]["shape"])
    counts = [row["params"] for row in solved.work.get("trace", [])]
    return problems + differences("params per layer", counts, [r["params"] for r in rows])


# --- losses and attention ----------------------------------------------------------------------

@checker("cross_entropy")
def check_cross_entropy(p: Params, solved: Solved) -> list[str]:
    """-log p(true class) in float64 by math.log, against the solver's exact value."""
    want = -math.log(float(p["probs"][p["true_class"]]))
    return differences("loss", float(solved.answers["loss"]), want, 1e-12)


@checker("cross_entropy")
def check_cross_entropy_torch(p: Params, solved: Solved) -> list[str]:
    """torch's nll_loss on the log-probabilities, against the solver's exact value."""
    import torch
    import torch.nn.functional as F

    loss = F.nll_loss(_tensor(p["probs"]).log()[None], torch.tensor([p["true_class"]])).item()
    return differences("loss (torch)", float(solved.answers["loss"]), loss, 1e-12)


@checker("self_attention")
def check_self_attention(p: Params, solved: Solved) -> list[str]:
    """softmax(QK^T/sqrt(d_k))V with torch's matrix products and softmax in float64; the solver
    rounds weights and output to four places."""
    import torch

    X, Wq, Wk, Wv = (_tensor(p[k]) for k in ("X", "W_Q", "W_K", "W_V"))
    Q, K, V = X @ Wq, X @ Wk, X @ Wv
    scores = Q @ K.T
    weights = torch.softmax(scores / p["d_k"] ** 0.5, dim=-1)
    problems = differences("scores", solved.work.get("scores"), scores.tolist())
    problems += differences("weights", solved.work.get("weights"), weights.tolist(), ROUNDED_TOL)
    return problems + differences("output", solved.answers["output"], (weights @ V).tolist(), ROUNDED_TOL)
