"""A ReLU autoencoder without biases (2-3-1-3-2): forward values, reconstruction error, the paper's backprop.

The paper's backward formulas start from dz = A − X at the output, the gradient of the squared error
J = ½‖X̂ − X‖² while the output ReLUs are active (the paper's own J, −Σ X ln X̂, has another gradient;
issue 25), so J here is that squared error and torch autograd on it checks the formulas.
"""
from __future__ import annotations

from decimal import Decimal

from .. import Reject, SolveContext, Solved, solver
from ..effort import Work
from ..checkers import checker, differences, partials
from ..common import as_list, products
from ...models import Params
from typing import Any

LAYERS = ("W1", "W2", "W3", "W4")


def _forward(p: Params, ctx: SolveContext, grad: bool = False) -> tuple[list, list, list]:
    """Pre-activations z and activations A of each layer (A[0] is the input)."""
    import torch

    Ws = [ctx.tensor(p[name]).requires_grad_(grad) for name in LAYERS]
    A, Z = [ctx.tensor(p["X"])], []
    for W in Ws:
        Z.append(W @ A[-1])
        A.append(torch.relu(Z[-1]))
    return Ws, Z, A


def paper_backprop(W: list, A: list, X: "torch.Tensor") -> tuple:  # noqa: F821
    """dz4 = A4 − X, dW4 = dz4 A3ᵀ; dz3 = W4ᵀ dz4 ⊙ g'(z3), dW3 = dz3 A2ᵀ (the paper's stated rules)."""
    dz4 = A[4] - X
    dW4 = dz4 @ A[3].T
    dz3 = (W[3].T @ dz4) * (A[3] > 0)
    dW3 = dz3 @ A[2].T
    return dz4, dW4, dz3, dW3


def node_terms(p: Params) -> list[str]:
    """Each node's weighted sum as a student writes it, from the parameters and rounded inputs."""
    inputs = [row[0] for row in p["X"]]
    terms = []
    for name in LAYERS:
        outs = []
        for row in p[name]:
            outs.append(products(inputs, row))
        terms += outs
        inputs = [max(0.0, sum(a * w for a, w in zip(inputs, row))) for row in p[name]]
    return terms


MIN_INPUT = 0.1   # every weighted input z is at least this far from 0 (an active node's output is at least 0.1)


@solver("autoencoder_relu")
def autoencoder_relu(p: Params, ctx: SolveContext) -> Solved:
    """Node outputs 1–9, J = ½‖X̂ − X‖², dW4, dW3 and W4 − η dW4; dW4 and dW3 checked with autograd on J."""
    import torch

    W, Z, A = _forward(p, ctx, grad=True)
    if bool((Z[1] <= 0).any()) or bool((Z[3] <= 0).any()):
        raise Reject("the bottleneck or an output ReLU is inactive (nothing would follow, and dz = A − X is no gradient)")
    X = A[0]
    if min(float(z.detach().abs().min()) for z in Z) < MIN_INPUT:
        raise Reject(f"a weighted input is within {MIN_INPUT} of 0: its sign, or its value, is unclear by hand")
    J = 0.5 * ((A[4] - X) ** 2).sum()
    dz4, dW4, dz3, dW3 = paper_backprop([w.detach() for w in W], [a.detach() for a in A], X)
    J.backward()
    if not (W[3].grad.allclose(dW4) and W[2].grad.allclose(dW3)):
        raise AssertionError("the paper's formulas disagree with autograd on J = ½‖X̂ − X‖²")
    if float(dW3[A[3].detach() > 0].abs().min()) < 0.005:
        raise Reject("a gradient in dW3 of an active node rounds to almost nothing")
    nodes = [float(v) for a in A[1:] for v in a.detach().flatten()]
    W4_new = W[3].detach() - p["lr"] * dW4
    return Solved(answers={"nodes": [round(v, 6) for v in nodes], "J": round(float(J.detach()), 6),
                           "dW4": as_list(dW4, 6), "dW3": as_list(dW3, 6), "W4_new": as_list(W4_new, 6)},
                  work={"dz4": as_list(dz4, 6), "dz3": as_list(dz3, 6),
                        "node_terms": node_terms(p),
                        "xhat": as_list(A[4].detach(), 6), "A3": as_list(A[3].detach(), 6),
                        "A2": round(float(A[2].detach()[0, 0]), 6),
                        "inactive": [n + 1 for n, z in enumerate(float(v) for z in Z for v in z.detach().flatten()) if z < 0]},
                  effort=autoencoder_effort(p, nodes, [float(v) for v in dz4.flatten()],
                                            [float(v) for v in dz3.flatten()], [float(v) for v in dW4.flatten()]))


def autoencoder_effort(p: Params, nodes: list[float], dz4: list[float], dz3: list[float],
                       dW4: list[float]) -> float:
    """The solution's hand work, on values to four places as it prints them: each of the nine nodes a
    dot product of the layer below with its weights and a ReLU comparison; J from two differences,
    their squares, a sum and a half; dz4 = X̂ − X (the differences again); dW4 = dz4 A3ᵀ (six products); dz3 = W4ᵀ dz4 (a dot product per active node 5–7);
    dW3 = dz3 A2 (three products); W4 − η dW4 (six products and six subtractions). Products with an
    inactive node's 0 are free, so an inactive ReLU is less work, as it is by hand."""
    four = lambda v: Decimal(str(round(v, 4)))  # noqa: E731
    dec = lambda v: Decimal(str(v))  # noqa: E731
    work = Work()
    below, values = [dec(row[0]) for row in p["X"]], iter(nodes)
    layers = []
    for name in LAYERS:
        layer = []
        for row in p[name]:
            work.dot(below, [dec(w) for w in row])
            work.compare(1)
            layer.append(four(next(values)))
        layers.append(layer)
        below = layer
    x = [dec(row[0]) for row in p["X"]]
    gaps = [work.add(xh, -xd) for xh, xd in zip(layers[3], x)]
    work.mul(work.sum([work.mul(g, g) for g in gaps]), Decimal("0.5"))
    for d in dz4:
        for a in layers[2]:
            work.mul(four(d), a)
    for column, d3 in zip(zip(*p["W4"]), dz3):
        if d3 != 0:  # an inactive node's g' = 0 settles its entry without the sum
            work.dot([dec(w) for w in column], [four(d) for d in dz4])
    for d in dz3:
        work.mul(four(d), layers[1][0])
    for w, g in zip([w for row in p["W4"] for w in row], dW4):
        work.add(dec(w), -work.mul(dec(p["lr"]), four(g)))
    return work.total


# --- independent check (examgen check): the answers computed another way --------------------

def _relu_layers(p: Params, weights: dict[str, Any]) -> list[list[float]]:
    """Activations of the 2-3-1-3-2 ReLU autoencoder, input first."""
    acts = [[row[0] for row in p["X"]]]
    for name in ("W1", "W2", "W3", "W4"):
        acts.append([max(0.0, sum(w * a for w, a in zip(row, acts[-1]))) for row in weights[name]])
    return acts


@checker("autoencoder_relu")
def check_autoencoder_relu(p: Params, solved: Solved) -> list[str]:
    """dW4 and dW3 of J = ½‖X̂ − X‖² by finite differences; node values and J by a looped forward pass."""
    def loss(name: str, W: list[list[float]]) -> float:
        out = _relu_layers(p, {**p, name: W})[-1]
        return 0.5 * sum((o - row[0]) ** 2 for o, row in zip(out, p["X"]))
    acts = _relu_layers(p, p)
    J = 0.5 * sum((a - row[0]) ** 2 for row, a in zip(p["X"], acts[-1]))
    tol = 5e-7  # the solver rounds to six places
    problems = differences("nodes", solved.answers["nodes"], [v for a in acts[1:] for v in a], tol)
    problems += differences("J", solved.answers["J"], J, tol)
    grads = {name: partials(lambda W: loss(name, W), p[name]) for name in ("W4", "W3")}
    problems += differences("dW4", solved.answers["dW4"], grads["W4"], tol)
    problems += differences("dW3", solved.answers["dW3"], grads["W3"], tol)
    stepped = [[w - p["lr"] * g for w, g in zip(wr, gr)] for wr, gr in zip(p["W4"], grads["W4"])]
    return problems + differences("W4_new", solved.answers["W4_new"], stepped, tol)
