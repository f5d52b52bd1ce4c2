"""Attention families: scaled dot-product self-attention from embeddings and projection matrices."""
from __future__ import annotations

import math
from decimal import Decimal

from .. import Reject, SolveContext, Solved, rule, solver
from ..checkers import ROUNDED_TOL, checker, differences, tensor64
from ..common import as_list
from ..effort import Work
from ..handwork import matmul, softmax, transpose
from ..mistakes import mistake
from ...models import Params


@rule("attention_shapes_agree")
def attention_shapes_agree(p: Params) -> bool:
    """W_Q, W_K and W_V have as many rows as the embeddings have columns, and W_Q, W_K agree."""
    d = len(p["X"][0])
    return len(p["W_Q"]) == len(p["W_K"]) == len(p["W_V"]) == d and len(p["W_Q"][0]) == len(p["W_K"][0])


@rule("attention_projections_full_rank")
def attention_projections_full_rank(p: Params) -> bool:
    """W_Q, W_K and W_V each have independent columns, and X has no zero row (no trivial projection)."""
    def rank_two(w: list[list[float]]) -> bool:
        a = sum(r[0] * r[0] for r in w)
        b = sum(r[0] * r[1] for r in w)
        c = sum(r[1] * r[1] for r in w)
        return a * c - b * b != 0  # Gram determinant of the two columns

    return all(rank_two(p[k]) for k in ("W_Q", "W_K", "W_V")) and all(any(row) for row in p["X"])


@solver("self_attention")
def self_attention(p: Params, ctx: SolveContext) -> Solved:
    """softmax(Q K^T / sqrt(d_k)) V with Q = X W_Q, K = X W_K, V = X W_V, in float64 Python
    (correctly rounded sums); the checker runs torch's softmax and matrix products."""
    X = p["X"]
    Q, K, V = (matmul(X, p[k]) for k in ("W_Q", "W_K", "W_V"))
    scores = matmul(Q, transpose(K))
    root = math.sqrt(p["d_k"])
    scaled = [[v / root for v in row] for row in scores]
    weights = [softmax(row) for row in scaled]
    out = matmul(weights, V)
    # A saturated softmax is no question to work by hand. What else a careful examiner rejects
    # (uniform or identical weight rows, constant columns of V or the output) is the template's
    # `degenerate:` list, which sampling applies to every draw.
    if p.get("unsaturated", True) and max(max(row) for row in as_list(weights, 4)) > 0.95:
        raise Reject("softmax saturated (a weight above 0.95)")
    shown = {"Q": as_list(Q), "K": as_list(K), "V": as_list(V), "scores": as_list(scores),
             "scaled": as_list(scaled, 4), "weights": as_list(weights, 4)}
    return Solved(answers={"output": as_list(out, 4)}, work=shown,
                  effort=attention_effort(X, [p[k] for k in ("W_Q", "W_K", "W_V")], shown, p["d_k"]))


FUNCTION_STEP = 4   # one exp (log, sqrt) value by calculator or table, written to four figures


def figures(x: float, count: int = 4) -> Decimal:
    """`x` as a student writes it in the working: `count` significant figures, exactly."""
    return Decimal(f"{x:.{count}g}")


def attention_effort(X: list, Ws: list, shown: dict, d_k: int) -> float:
    """The hand work of the worked solution, from the values it prints: the dot products of
    Q, K, V = XW and of QK^T; each score times 1/sqrt(d_k) (0.7071 to four figures; a whole root
    divides); per softmax row its largest value, each value less it and its exp (FUNCTION_STEP),
    the exps' sum and a division per weight, to four figures; the dot products of the weights (four
    places) with V's columns."""
    work = Work()
    for W in Ws:
        for row in X:
            for col in transpose(W):
                work.dot(row, col)
    for q in shown["Q"]:
        for k in shown["K"]:
            work.dot(q, k)
    root = math.sqrt(d_k)
    for row in shown["scores"]:
        for s in row:
            if root == int(root):
                work.div(s, int(root))
            else:
                work.mul(s, figures(1 / root))
    for row in shown["scaled"]:            # the stable softmax: e^(v - max), e^0 = 1 free
        top = max(row)
        work.compare(len(row) - 1)
        exps = []
        for v in row:
            shift = work.add(Decimal(str(v)), -Decimal(str(top)))
            if shift:
                work.step(FUNCTION_STEP)
            exps.append(figures(math.exp(shift)))
        total = figures(float(work.sum(exps)))
        for e in exps:
            work.div(e, total)
    for row in shown["weights"]:
        for col in transpose(shown["V"]):
            work.dot([Decimal(str(w)) for w in row], col)
    return work.total


# --- independent check (examgen check): the answers computed another way --------------------

@checker("self_attention")
def check_self_attention(p: Params, solved: Solved) -> list[str]:
    """softmax(QK^T/sqrt(d_k))V with torch's matrix products and softmax in float64; the solver
    rounds weights and output to four places."""
    import torch

    X, Wq, Wk, Wv = (tensor64(p[k]) for k in ("X", "W_Q", "W_K", "W_V"))
    Q, K, V = X @ Wq, X @ Wk, X @ Wv
    scores = Q @ K.T
    weights = torch.softmax(scores / p["d_k"] ** 0.5, dim=-1)
    problems = differences("scores", solved.work.get("scores"), scores.tolist())
    problems += differences("weights", solved.work.get("weights"), weights.tolist(), ROUNDED_TOL)
    return problems + differences("output", solved.answers["output"], (weights @ V).tolist(), ROUNDED_TOL)


# --- mistakes: the wrong answers students give, as distractors ------------------------------

def _attention(s: Solved, scale: float, columns: bool = False, keys_first: bool = False) -> list:
    """The attention output with one slip, from the projections Q, K, V the solver already made,
    computed as the solver computes (plain Python)."""
    Q, K, V = (s.work[k] for k in ("Q", "K", "V"))
    scores = matmul(K, transpose(Q)) if keys_first else matmul(Q, transpose(K))
    scaled = [[v / scale for v in row] for row in scores]
    if columns:   # a softmax down each column: along the rows of the transpose, turned back
        return matmul(transpose([softmax(col) for col in transpose(scaled)]), V)
    return matmul([softmax(row) for row in scaled], V)


@mistake("attn_softmax_columns", "Takes the softmax down each column instead of along each row.")
def attn_softmax_columns(p: Params, s: Solved, ctx: SolveContext) -> list:
    return _attention(s, p["d_k"] ** 0.5, columns=True)


@mistake("attn_no_scaling", "Forgets to divide the scores by $\\sqrt{d_k}$.")
def attn_no_scaling(p: Params, s: Solved, ctx: SolveContext) -> list:
    return _attention(s, 1.0)


@mistake("attn_scale_dk", "Divides the scores by $d_k$ instead of $\\sqrt{d_k}$.")
def attn_scale_dk(p: Params, s: Solved, ctx: SolveContext) -> list:
    return _attention(s, float(p["d_k"]))


@mistake("attn_keys_first", "Computes $KQ^\\top$ instead of $QK^\\top$ (the transposed scores).")
def attn_keys_first(p: Params, s: Solved, ctx: SolveContext) -> list:
    return _attention(s, p["d_k"] ** 0.5, keys_first=True)


def _weighted(s: Solved, weights: list[list[float]], values: list[list[float]] | None = None) -> list:
    """Some weights times V (or other values)."""
    return matmul(weights, s.work["V"] if values is None else values)


def _scaled(p: Params, s: Solved) -> list[list[float]]:
    Q, K = s.work["Q"], s.work["K"]
    root = p["d_k"] ** 0.5
    return [[v / root for v in row] for row in matmul(Q, transpose(K))]


@mistake("attn_weights_only", "Stops at the attention weights $\\mathrm{softmax}(QK^\\top/\\sqrt{d_k})$ and gives "
         "them as the output, without multiplying by $V$.")
def attn_weights_only(p: Params, s: Solved, ctx: SolveContext) -> list:
    return [softmax(row) for row in _scaled(p, s)]


@mistake("attn_inputs_weighted", "Weights the embeddings $X$ instead of the values $V = XW_V$ (leaves the value "
         "projection out).")
def attn_inputs_weighted(p: Params, s: Solved, ctx: SolveContext) -> list:
    return _weighted(s, [softmax(row) for row in _scaled(p, s)], p["X"])


@mistake("attn_unnormalised", "Exponentiates the scaled scores but forgets to divide by each row's sum (a softmax "
         "without its normalisation).")
def attn_unnormalised(p: Params, s: Solved, ctx: SolveContext) -> list:
    return _weighted(s, [[math.exp(v) for v in row] for row in _scaled(p, s)])


@mistake("attn_hard_argmax", "Gives each query the value of its best key only (a one-hot argmax in place of the "
         "softmax).")
def attn_hard_argmax(p: Params, s: Solved, ctx: SolveContext) -> list:
    return _weighted(s, [[1.0 if v == max(row) else 0.0 for v in row] for row in _scaled(p, s)])


@mistake("attn_uniform_weights", "Ignores the scores and averages the value rows, each with weight $1/n$.")
def attn_uniform_weights(p: Params, s: Solved, ctx: SolveContext) -> list:
    n = len(s.work["V"])
    return _weighted(s, [[1 / n] * n for _ in range(n)])
