"""Independent checkers for gradient-producing solvers: every gradient against a central finite
difference of a plain-Python forward pass (no torch, no sympy). Registered like those in crosscheck.py.
"""
from __future__ import annotations

import math
from typing import Any, Callable

from ..models import Params, Solved
from .crosscheck import ROUNDED_TOL, checker, differences
from .handwork import correlate

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
    numeric, analytic = central_difference(J, theta, eps), central_difference(J, theta, 1e-5)
    problems = differences("numeric", solved.answers["numeric"], numeric, FD_TOL)
    problems += differences("analytic", float(solved.answers["analytic"]), analytic, 1e-4)
    return problems + differences("gap", solved.answers["gap"], numeric - analytic, 1e-4)


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


def partials(f: Callable[[list[list[float]]], float], at: list[list[float]]) -> list[list[float]]:
    """∂f/∂at[i][j] for every entry of a matrix, by central differences."""
    def moved(i: int, j: int, t: float) -> list[list[float]]:
        return [[t if (a, b) == (i, j) else v for b, v in enumerate(row)] for a, row in enumerate(at)]
    return [[central_difference(lambda t: f(moved(i, j, t)), v) for j, v in enumerate(row)]
            for i, row in enumerate(at)]


@checker("conv_backward")
def check_conv_backward(p: Params, solved: Solved) -> list[str]:
    """dF and dX of L = Σ O ⊙ dO, O = X ⋆ F, by finite differences on a looped convolution."""
    def loss(X: list[list[float]], F: list[list[float]]) -> float:
        out = correlate(X, F)
        return sum(o * g for orow, grow in zip(out, p["dO"]) for o, g in zip(orow, grow))
    dF = partials(lambda F: loss(p["X"], F), p["F"])
    dX = partials(lambda X: loss(X, p["F"]), p["X"])
    return differences("dF", solved.answers["dF"], dF, FD_TOL) + differences("dX", solved.answers["dX"], dX, FD_TOL)


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


@checker("sigmoid_net_numeric")
def check_sigmoid_net_numeric(p: Params, solved: Solved) -> list[str]:
    """y = N σ(Mx): y, ∂y/∂z and ∂y/∂x1 by finite differences (the solver rounds to four places)."""
    M, N, x = p["M"], p["N"], p["x"]
    z = [sum(m * v for m, v in zip(row, x)) for row in M]
    y_of_z = lambda zs: sum(n * _sigmoid(v) for n, v in zip(N, zs))  # noqa: E731
    grad_z = [central_difference(lambda t, i=i: y_of_z([t if k == i else v for k, v in enumerate(z)]), z[i])
              for i in range(len(z))]
    y_of_x1 = lambda t: y_of_z([row[0] * t + sum(m * v for m, v in zip(row[1:], x[1:])) for row in M])  # noqa: E731
    return (differences("y", solved.answers["y"], y_of_z(z), ROUNDED_TOL)
            + differences("grad_z", solved.answers["grad_z"], grad_z, ROUNDED_TOL)
            + differences("dy_dx1", solved.answers["dy_dx1"], central_difference(y_of_x1, float(x[0])), ROUNDED_TOL))


def _relu_layers(p: Params, weights: dict[str, Any]) -> list[list[float]]:
    """Activations of the 2-3-1-3-2 ReLU autoencoder, input first."""
    acts = [[row[0] for row in p["X"]]]
    for name in ("W1", "W2", "W3", "W4"):
        acts.append([max(0.0, sum(w * a for w, a in zip(row, acts[-1]))) for row in weights[name]])
    return acts


@checker("autoencoder_relu")
def check_autoencoder_relu(p: Params, solved: Solved) -> list[str]:
    """dW4 and dW3 of ½‖X̂ − X‖² by finite differences; node values and J by a looped forward pass."""
    def loss(name: str, W: list[list[float]]) -> float:
        out = _relu_layers(p, {**p, name: W})[-1]
        return 0.5 * sum((o - row[0]) ** 2 for o, row in zip(out, p["X"]))
    acts = _relu_layers(p, p)
    J = -sum(row[0] * math.log(a) for row, a in zip(p["X"], acts[-1]))
    tol = 5e-7  # the solver rounds to six places
    problems = differences("nodes", solved.answers["nodes"], [v for a in acts[1:] for v in a], tol)
    problems += differences("J", solved.answers["J"], J, tol)
    grads = {name: partials(lambda W: loss(name, W), p[name]) for name in ("W4", "W3")}
    problems += differences("dW4", solved.answers["dW4"], grads["W4"], tol)
    problems += differences("dW3", solved.answers["dW3"], grads["W3"], tol)
    stepped = [[w - p["lr"] * g for w, g in zip(wr, gr)] for wr, gr in zip(p["W4"], grads["W4"])]
    return problems + differences("W4_new", solved.answers["W4_new"], stepped, tol)


GRADIENT_SOLVERS = ("compgraph_backprop", "gradcheck_centred", "momentum_quadratic", "conv_backward",
                    "sigmoid_net_numeric", "autoencoder_relu")
