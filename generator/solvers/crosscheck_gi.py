"""Independent checkers for the Glasgow 2023 and Imperial 2023 families: plain Python (formulas,
loops, finite differences, power iteration) against the solvers' torch and sympy work.

The purely symbolic solvers (sigmoid_net_symbolic, vae_factorisation) have no checker here: their
answers hold no number for the property test to perturb; tests/test_bank_*.py check them instead."""
from __future__ import annotations

import math
from typing import Any

from ..models import Params, Solved
from .crosscheck import checker, differences
from .handwork import layer_params, stack_shapes


def run_by_formula(shape: list[int], layers: list[dict[str, Any]]) -> list[int] | str:
    """The final shape, or the name of the first layer whose fixed size does not match."""
    for layer in layers:
        wrong_linear = layer["layer"] == "Linear" and shape[-1] != layer["in"]
        wrong_conv = layer["layer"] == "Conv2d" and shape[1] != layer["in"]
        if wrong_linear or wrong_conv:
            return layer["name"]
        shape = stack_shapes(shape, [layer])[-1]
        if min(shape) < 1:
            return layer["name"]
    return shape


@checker("two_models")
def check_two_models(p: Params, solved: Solved) -> list[str]:
    """Counts and shapes by formula; the second input's fate by size matching."""
    shape = [p["batch"], p["channels"], p["size"], p["size"]]
    new = [p["batch"], p["channels"], p["new_size"], p["new_size"]]
    problems = []
    for name in ("model1", "model2"):
        layers = p[name]
        problems += differences(f"{name}_params", solved.answers[f"{name}_params"], sum(map(layer_params, layers)))
        problems += differences(f"{name}_shapes", solved.answers[f"{name}_shapes"], stack_shapes(shape, layers))
        fate = run_by_formula(new, layers)
        if (solved.answers[f"{name}_new"] is None) != isinstance(fate, str):
            problems.append(f"{name}_new: solver gives {solved.answers[f'{name}_new']}, formula gives {fate}")
        elif not isinstance(fate, str):
            problems += differences(f"{name}_new", solved.answers[f"{name}_new"], fate)
    return problems


@checker("model_params")
def check_model_params(p: Params, solved: Solved) -> list[str]:
    return differences("total", solved.answers["total"], sum(map(layer_params, p["layers"])))


@checker("model_new_input")
def check_model_new_input(p: Params, solved: Solved) -> list[str]:
    """The intended input's shape by formula; the other input's shape or failing layer by size matching."""
    fate = run_by_formula(p["other_input"], p["layers"])
    want = f"fails at {fate}" if isinstance(fate, str) else fate
    return (differences("final_shape", solved.answers["final_shape"], run_by_formula(p["input"], p["layers"]))
            + ([] if solved.answers["other_outcome"] == want else [f"other_outcome: {solved.answers['other_outcome']} vs {want}"]))


def _sigmoid(v: float) -> float:
    return 1 / (1 + math.exp(-v))


@checker("siamese_network")
def check_siamese_network(p: Params, solved: Solved) -> list[str]:
    """Shapes by the definition of a linear map; delta1 against a finite difference of J."""
    import sympy

    D, H, m = p["D"], p["hidden"], p["m"]
    want = {"shape_W1": [H, D], "shape_b1": [H, 1], "shape_W2": [1, H], "shape_b2": [1, 1],
            "shape_X": [D, m], "shape_Y": [1, m], "delta2_shape": [1, H], "delta3_shape": [H, H]}
    problems = [d for k, v in want.items() for d in differences(k, solved.answers[k], v)]
    z, y = 0.7, 1.0
    J = lambda v: -(y * math.log(_sigmoid(v)) + (1 - y) * math.log(1 - _sigmoid(v))) / m  # noqa: E731
    numeric = (J(z + 1e-6) - J(z - 1e-6)) / 2e-6
    subs = {sympy.Symbol("\\hat{y}"): _sigmoid(z), sympy.Symbol("y"): y, sympy.Symbol("m"): m}
    return problems + differences("delta1", float(solved.answers["delta1"].subs(subs)), numeric, tol=1e-8)


def _matmul(a: list[list[float]], b: list[list[float]]) -> list[list[float]]:
    return [[sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))] for i in range(len(a))]


def growth_rate(W: list[list[float]], steps: int = 3000) -> float:
    """lim ||W^n||^(1/n) (the spectral radius) by repeated multiplication, renormalising as it goes."""
    P, log_norm = [row[:] for row in W], 0.0
    for _ in range(steps - 1):
        P = _matmul(P, W)
        scale = max(abs(v) for row in P for v in row)
        P = [[v / scale for v in row] for row in P]
        log_norm += math.log(scale)
    return math.exp(log_norm / steps)


def singular_value_invariants(W: list[list[float]]) -> tuple[float, float, float]:
    """Largest singular value (power iteration on W^T W), sum of squares (Frobenius) and product (|det|)."""
    WtW = _matmul([list(col) for col in zip(*W)], W)
    v = [1.0] * len(W)
    for _ in range(500):
        v = [sum(a * b for a, b in zip(row, v)) for row in WtW]
        v = [x / max(abs(y) for y in v) for x in v]
    top = math.sqrt(sum(a * b for a, b in zip(v, [sum(r * x for r, x in zip(row, v)) for row in WtW])) / sum(x * x for x in v))
    (a, b, c), (d, e, f), (g, h, i) = W
    return top, sum(x * x for row in W for x in row), abs(a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g))


@checker("rnn_bptt")
def check_rnn_bptt(p: Params, solved: Solved) -> list[str]:
    """The spectral radius by the growth of W_h^n, the verdict that follows, and the singular values'
    largest value, sum of squares and product."""
    rate = growth_rate(p["W_h"]["matrix"])
    verdict = "explode" if rate > 1 else "vanish"
    problems = differences("radius", solved.answers["radius"], rate, tol=2e-2)
    sv = solved.answers["singular_values"]
    want = singular_value_invariants(p["W_h"]["matrix"])
    problems += differences("singular_values (max, sum of squares, product)",
                            [max(sv), sum(x * x for x in sv), math.prod(sv)], list(want), tol=2e-3)
    return problems + ([] if solved.answers["behaviour"] == verdict else [f"behaviour: {solved.answers['behaviour']} vs {verdict}"])


@checker("hard_attention")
def check_hard_attention(p: Params, solved: Solved) -> list[str]:
    """Each query's best key by plain dot products; its value row is the output row."""
    best = []
    for q in p["Q"]:
        scores = [sum(a * b for a, b in zip(q, k)) for k in p["K"]]
        best.append(scores.index(max(scores)))
    return (differences("output", solved.answers["output"], [p["V"][k] for k in best])
            + differences("chosen", solved.answers["chosen"], [k + 1 for k in best]))


@checker("softmax_init_loss")
def check_softmax_init_loss(p: Params, solved: Solved) -> list[str]:
    """Uniform predictions over C classes give -log(1/C) per example."""
    return differences("loss", float(solved.answers["loss"]), -math.log(1 / p["classes"]))
