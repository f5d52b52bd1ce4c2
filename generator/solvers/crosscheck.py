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
from . import _register
from .common import out_size

CheckerFn = Callable[[Params, Solved], list[str]]
CHECKERS: dict[str, CheckerFn] = {}

EXACT_TOL = 1e-9     # values the solver gives unrounded
ROUNDED_TOL = 5e-5   # values the solver rounds to four places (half a unit in the last place)


def checker(name: str) -> Callable[[CheckerFn], CheckerFn]:
    """Register `fn(params, solved) -> problems` as the independent check of solver `name`."""
    return _register(CHECKERS, name)


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


def max_pool(image: list[list[float]], window: int, stride: int) -> list[list[float]]:
    """Max pooling with a square window, no padding, by plain loops."""
    rows = (len(image) - window) // stride + 1
    cols = (len(image[0]) - window) // stride + 1
    return [[max(image[i * stride + a][j * stride + b] for a in range(window) for b in range(window))
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


# --- gradients, by finite differences ------------------------------------------------------------

FD_STEP = 1e-4
FD_TOL = 1e-6


def central_difference(f: Callable[[float], float], at: float, h: float = FD_STEP) -> float:
    """(f(at + h) - f(at - h)) / 2h."""
    return (f(at + h) - f(at - h)) / (2 * h)


COMPGRAPH = (("q", lambda e: e["x"] * e["y"]), ("s", lambda e: e["q"] + e["z"]),
             ("m", lambda e: e["gate"](e["w"], e["v"])), ("f", lambda e: e["s"] * e["m"]))


def compgraph_nodes(p: Params, node: str | None = None, value: float = 0.0) -> dict[str, Any]:
    """Every node of f = (x*y + z) * gate(w, v) in floats, with one node (if named) held at `value`."""
    env: dict[str, Any] = {n: float(p[n]) for n in ("x", "y", "z", "w", "v")}
    env["gate"] = max if p["gate"] == "max" else min
    if node in env:
        env[node] = value
    for name, op in COMPGRAPH:
        env[name] = value if name == node else op(env)
    return env


@checker("compgraph_backprop")
def check_compgraph_backprop(p: Params, solved: Solved) -> list[str]:
    """Each arrow's gradient ∂f/∂(its tail) against a central difference on a float forward pass."""
    forward = compgraph_nodes(p)
    problems = []
    for arrow, grad in solved.answers["gradients"].items():
        tail = arrow.split("-")[0]
        estimate = central_difference(lambda t: compgraph_nodes(p, tail, t)["f"], forward[tail])
        problems += differences(f"gradient {arrow}", grad, estimate, FD_TOL)
    return problems


@checker("gradcheck_centred")
def check_gradcheck_centred(p: Params, solved: Solved) -> list[str]:
    """The centred difference in floats, and the derivative by a fine central difference."""
    a, b, c = p["coeffs"]
    J = lambda t: a * t ** 3 + b * t ** 2 + c * t  # noqa: E731
    theta, eps = float(p["theta"]), float(p["epsilon"])
    problems = differences("numeric", solved.answers["numeric"], central_difference(J, theta, eps), FD_TOL)
    return problems + differences("analytic", float(solved.answers["analytic"]),
                                  central_difference(J, theta, 1e-5), 1e-4)


@checker("momentum_quadratic")
def check_momentum_quadratic(p: Params, solved: Solved) -> list[str]:
    """v ← μv − ηg, θ ← θ + v in floats, with g from central differences of f."""
    theta = [float(t) for t in p["theta0"]]
    velocity = [0.0] * len(theta)
    for _ in range(p["steps"]):
        grads = [central_difference(lambda t, i=i: _quadratic_term(p, i, t), theta[i]) for i in range(len(theta))]
        velocity = [p["mu"] * v - p["lr"] * g for v, g in zip(velocity, grads)]
        theta = [t + v for t, v in zip(theta, velocity)]
    return differences("theta_final", solved.answers["theta_final"], theta, FD_TOL)


def _quadratic_term(p: Params, i: int, t: float) -> float:
    """The i-th term a_i/2 (θ_i − c_i)^2 of f."""
    return float(p["curvature"][i]) / 2 * (t - float(p["centre"][i])) ** 2
