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
from .common import out_size

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


# --- convolution and pooling -------------------------------------------------------------------

def correlate(image: list[list[float]], kernel: list[list[float]]) -> list[list[float]]:
    """Valid cross-correlation (what nn.Conv2d computes), stride 1, by plain loops."""
    kh, kw = len(kernel), len(kernel[0])
    rows, cols = len(image) - kh + 1, len(image[0]) - kw + 1
    return [[sum(image[i + a][j + b] * kernel[a][b] for a in range(kh) for b in range(kw))
             for j in range(cols)] for i in range(rows)]


def max_pool(image: list[list[float]], window: int, stride: int,
             reduce: Callable[[list[float]], float] = max) -> list[list[float]]:
    """Pooling with a square window, no padding, by plain loops (max unless `reduce` says otherwise)."""
    rows = (len(image) - window) // stride + 1
    cols = (len(image[0]) - window) // stride + 1
    return [[reduce([image[i * stride + a][j * stride + b] for a in range(window) for b in range(window)])
             for j in range(cols)] for i in range(rows)]


@checker("conv2d_params")
def check_conv2d_params(p: Params, solved: Solved) -> list[str]:
    """The count by formula and by a freshly built nn.Conv2d (on the meta device) both match."""
    import torch.nn as nn

    kh, kw = p["kernel"]
    formula = (p["in_channels"] * kh * kw + (1 if p["bias"] else 0)) * p["out_channels"]
    layer = nn.Conv2d(p["in_channels"], p["out_channels"], (kh, kw), bias=p["bias"], device="meta")
    counted = sum(t.numel() for t in layer.parameters())
    return (differences("total (formula)", solved.answers["total"], formula)
            + differences("total (nn.Conv2d)", solved.answers["total"], counted))


@checker("conv2d_by_hand")
def check_conv2d_by_hand(p: Params, solved: Solved) -> list[str]:
    """Convolution and the optional stride-1 max pooling by plain loops."""
    out = correlate(p["image"], p["kernel"])
    problems = differences("output", solved.answers["output"], out)
    if p.get("pool"):
        problems += differences("pooled", solved.answers.get("pooled"), max_pool(out, p["pool"], 1))
    return problems


@checker("maxpool_by_hand")
def check_maxpool_by_hand(p: Params, solved: Solved) -> list[str]:
    """Max pooling by plain loops."""
    return differences("output", solved.answers["output"], max_pool(p["image"], p["window"], p["stride"]))


# --- shapes through a layer stack --------------------------------------------------------------

def _pair(v: Any) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (list, tuple)) else (int(v), int(v))


def layer_shape(layer: dict[str, Any], shape: list[int]) -> list[int]:
    """The output shape of one layer record by the floor formula (no torch)."""
    kind = layer["layer"]
    if kind == "Flatten":
        return [shape[0], math.prod(shape[1:])]
    if kind == "Linear":
        return [*shape[:-1], layer["out"]]
    if kind not in ("Conv2d", "MaxPool2d", "AvgPool2d"):
        return list(shape)  # activations keep the shape
    k = _pair(layer["kernel"])
    s = _pair(layer.get("stride", 1 if kind == "Conv2d" else layer["kernel"]))
    pad = _pair(layer.get("padding", 0))
    channels = layer["out"] if kind == "Conv2d" else shape[-3]
    size = [out_size(shape[-2 + a], k[a], s[a], pad[a]) for a in range(2)]
    return [*shape[:-3], channels, *size]


def layer_params(layer: dict[str, Any]) -> int:
    """Trainable parameters of one layer record by formula."""
    bias = 1 if layer.get("bias", True) else 0
    if layer["layer"] == "Conv2d":
        kh, kw = _pair(layer["kernel"])
        return layer["out"] * (layer["in"] * kh * kw + bias)
    if layer["layer"] == "Linear":
        return layer["out"] * (layer["in"] + bias)
    return 0


def stack_shapes(input_shape: list[int], layers: list[dict[str, Any]]) -> list[list[int]]:
    """The shape after every layer, by formula."""
    shapes, shape = [], list(input_shape)
    for layer in layers:
        shape = layer_shape(layer, shape)
        shapes.append(shape)
    return shapes


@checker("layer_shapes")
def check_layer_shapes(p: Params, solved: Solved) -> list[str]:
    """Every shape (floor formula vs torch) and every layer's parameter count (formula vs numel)."""
    shapes = stack_shapes(p["input"], p["layers"])
    problems = differences("shapes", solved.answers["shapes"], shapes)
    problems += differences("final_shape", solved.answers["final_shape"], shapes[-1])
    counts = [row["params"] for row in solved.work.get("trace", [])]
    return problems + differences("params per layer", counts, [layer_params(l) for l in p["layers"]])


# --- losses and attention ----------------------------------------------------------------------

@checker("cross_entropy")
def check_cross_entropy(p: Params, solved: Solved) -> list[str]:
    """-log p(true class) in float64 by math.log, against the solver's exact value."""
    want = -math.log(float(p["probs"][p["true_class"]]))
    return differences("loss", float(solved.answers["loss"]), want, 1e-12)


def softmax(row: list[float]) -> list[float]:
    """A numerically stable softmax in plain Python."""
    top = max(row)
    exps = [math.exp(v - top) for v in row]
    total = math.fsum(exps)
    return [e / total for e in exps]


def matmul(a: list[list[float]], b: list[list[float]]) -> list[list[float]]:
    """A plain-Python matrix product."""
    return [[math.fsum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))]
            for i in range(len(a))]


@checker("self_attention")
def check_self_attention(p: Params, solved: Solved) -> list[str]:
    """softmax(QK^T/sqrt(d_k))V in plain Python; the solver rounds to four places."""
    X = p["X"]
    Q, K, V = (matmul(X, p[w]) for w in ("W_Q", "W_K", "W_V"))
    scores = matmul(Q, [list(col) for col in zip(*K)])
    weights = [softmax([v / math.sqrt(p["d_k"]) for v in row]) for row in scores]
    problems = differences("scores", solved.work.get("scores"), scores)
    problems += differences("weights", solved.work.get("weights"), weights, ROUNDED_TOL)
    return problems + differences("output", solved.answers["output"], matmul(weights, V), ROUNDED_TOL)
