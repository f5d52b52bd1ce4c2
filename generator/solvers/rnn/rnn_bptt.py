"""A vanilla RNN h_t = s(W_h h_{t-1} + W_x x_t + b) (Imperial Q2c): dL/dW_x through time, and
whether gradients vanish or explode for a linear RNN (spectral radius of W_h)."""
from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from .. import Reject, SolveContext, Solved, drawer, solver
from ..checkers import checker, differences
from ..effort import Work
import math
from ...models import Params


def delta_tex(t: int, T: int) -> str:
    """delta_t = D_t W_h^T D_{t+1} ... W_h^T D_T dL/dh_T, as LaTeX (D_k = diag s'(a_k))."""
    factors = [f"D_{{{k}}}" for k in range(t, T + 1)]
    return " W_h^\\top ".join(factors) + " \\frac{\\partial \\mathcal{L}}{\\partial h_{" + str(T) + "}}"


def expanded_tex(T: int) -> list[str]:
    """The T terms of dL/dW_x = sum_t delta_t x_t^T, earliest step first."""
    return [f"\\left({delta_tex(t, T)}\\right) x_{{{t}}}^\\top" for t in range(1, T + 1)]


def bptt_wx_gradient(Wh: Any, Wx: Any, b: Any, xs: Any, g: Any) -> Any:
    """sum_t delta_t x_t^T for a tanh RNN, by the expanded formula (torch tensors in, matrix out)."""
    import torch

    h, pre = torch.zeros(Wh.shape[0], dtype=Wh.dtype), []
    for x in xs:
        pre.append(Wh @ h + Wx @ x + b)
        h = torch.tanh(pre[-1])
    grad, delta = torch.zeros_like(Wx), g
    for t in reversed(range(len(xs))):
        delta = (1 - torch.tanh(pre[t]) ** 2) * delta
        grad += torch.outer(delta, xs[t])
        delta = Wh.T @ delta
    return grad


def check_formula_with_autograd(T: int) -> float:
    """Largest difference between the expanded formula and autograd on a random tanh RNN."""
    import torch

    gen = torch.Generator().manual_seed(T)
    Wh, Wx, b = (torch.randn(*s, generator=gen, dtype=torch.float64) for s in ((3, 3), (3, 2), (3,)))
    xs, g = torch.randn(T, 2, generator=gen, dtype=torch.float64), torch.randn(3, generator=gen, dtype=torch.float64)
    Wx_auto = Wx.clone().requires_grad_(True)
    h = torch.zeros(3, dtype=torch.float64)
    for x in xs:
        h = torch.tanh(Wh @ h + Wx_auto @ x + b)
    (g @ h).backward()
    return float((Wx_auto.grad - bptt_wx_gradient(Wh, Wx, b, xs, g)).abs().max())


def spectra(W: list[list[float]]) -> dict[str, Any]:
    """Singular values, eigenvalue moduli and spectral radius of W (float64 torch)."""
    import torch

    Wt = torch.tensor(W, dtype=torch.float64)
    sv = torch.linalg.svdvals(Wt).tolist()
    moduli = sorted(torch.linalg.eigvals(Wt).abs().tolist(), reverse=True)
    return {"singular_values": sv, "eig_moduli": moduli, "radius": moduli[0]}


def case_of(s: dict[str, Any]) -> str:
    """explode (rho > 1), vanish (rho and the largest singular value < 1), or misleading
    (rho < 1 although the largest singular value is above 1; the reverse cannot happen)."""
    if s["radius"] > 1:
        return "explode"
    return "misleading" if s["singular_values"][0] > 1 else "vanish"


@drawer("rnn_bptt_wh")
def rnn_bptt_wh(rng: random.Random, params: Params, size: int = 3) -> dict[str, Any]:
    """A recurrent matrix with two-decimal entries, shown with its singular values to two places.

    The behaviour (explode, vanish) is drawn first, each half the time, then a matrix whose singular
    values decide it by hand: every eigenvalue modulus lies between the smallest and the largest
    singular value, so all of them at least 1 + MARGIN means explode and all at most 1 - MARGIN
    vanish. (A largest singular value above 1 with a spectral radius below 1, the misleading case,
    could only be decided from the eigenvalues of a 3x3 matrix, which the question does not give.)
    The matrix is U diag(s) V^T for random orthogonal U, V, rounded to two decimals."""
    want = rng.choice(("explode", "vanish"))
    low, high = (1 + SV_MARGIN + 0.05, 2.0) if want == "explode" else (0.2, 1 - SV_MARGIN - 0.05)
    while True:
        sv = sorted((rng.uniform(low, high) for _ in range(size)), reverse=True)
        U, V = _orthogonal(rng, size), _orthogonal(rng, size)
        W = [[round(sum(U[i][k] * sv[k] * V[j][k] for k in range(size)), 2) for j in range(size)] for i in range(size)]
        s = spectra(W)
        shown = s["singular_values"]
        decided = shown[-1] >= 1 + SV_MARGIN if want == "explode" else shown[0] <= 1 - SV_MARGIN
        if decided and case_of(s) == want and abs(s["radius"] - 1) >= 0.1:
            return {"matrix": W, "singular_values": [round(v, 2) for v in shown]}


SV_MARGIN = 0.1   # the singular values keep this far from 1, so their two-decimal values decide


def _orthogonal(rng: random.Random, size: int) -> list[list[float]]:
    """A random orthogonal matrix: Gram-Schmidt on Gaussian columns (returned as rows of columns' entries)."""
    cols: list[list[float]] = []
    while len(cols) < size:
        v = [rng.gauss(0, 1) for _ in range(size)]
        for c in cols:
            dot = sum(a * b for a, b in zip(v, c))
            v = [a - dot * b for a, b in zip(v, c)]
        norm = math.sqrt(sum(a * a for a in v))
        if norm > 1e-6:
            cols.append([a / norm for a in v])
    return [[cols[k][i] for k in range(size)] for i in range(size)]


@solver("rnn_bptt")
def rnn_bptt(p: Params, ctx: SolveContext) -> Solved:
    """The expanded gradient (checked against autograd) and the long-run behaviour of W_h^n."""
    if check_formula_with_autograd(p["T"]) > 1e-9:
        raise AssertionError("expanded BPTT formula disagrees with autograd")
    s = spectra(p["W_h"]["matrix"])
    if abs(s["radius"] - 1) < 0.1:
        raise Reject("spectral radius too close to 1 for a clear answer")
    shown_ok = all(abs(a - b) <= 0.011 for a, b in zip(s["singular_values"], p["W_h"]["singular_values"]))
    case = case_of(s)
    verdict = "explode" if case == "explode" else "vanish"
    misleading = case == "misleading"
    return Solved(answers={"behaviour": verdict, "radius": round(s["radius"], 4),
                           "singular_values": [round(v, 4) for v in s["singular_values"]]},
                  work={"terms": expanded_tex(p["T"]), "eig_moduli": [round(v, 4) for v in s["eig_moduli"]],
                        "shown_ok": shown_ok, "misleading": misleading, "case": case},
                  effort=bptt_effort(p["T"], p["W_h"]["matrix"]))


FUNCTION_STEP = 4   # one exp (log, sqrt) value by calculator or table, written to four figures


def bptt_effort(T: int, W: list[list[float]]) -> float:
    """The hand work of the worked solution. Part i: one step per factor written in the T expanded
    terms (each D_k, W_h^T, dL/dh_T and x_t^T: T^2 + 2T). Part ii: the characteristic polynomial
    of W_h from its two-decimal entries (trace, principal 2x2 minors, determinant by the first
    row, exactly), a root of it per eigenvalue and its modulus (FUNCTION_STEP each), the largest
    modulus, and the radius and the largest singular value compared with 1."""
    work = Work()
    work.step(sum(2 * (T - t) + 3 for t in range(1, T + 1)))
    (a, b, c), (d, e, f), (g, h, i) = [[Decimal(str(v)) for v in row] for row in W]
    work.sum([a, e, i])                                        # the trace
    minor_a = work.add(work.mul(e, i), -work.mul(f, h))        # ei - fh
    minor_b = work.add(work.mul(d, i), -work.mul(f, g))        # di - fg
    minor_c = work.add(work.mul(d, h), -work.mul(e, g))        # dh - eg
    work.sum([work.add(work.mul(a, e), -work.mul(b, d)),       # the principal minors' sum
              work.add(work.mul(a, i), -work.mul(c, g)), minor_a])
    work.sum([work.mul(a, minor_a), -work.mul(b, minor_b), work.mul(c, minor_c)])   # the determinant
    work.step(2 * FUNCTION_STEP * len(W))                      # each eigenvalue and its modulus
    work.compare(len(W) - 1)                                   # the spectral radius
    work.compare(2)                                            # rho and sigma_max against 1
    return work.total


# --- independent check (examgen check): the answers computed another way --------------------

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
