"""Attention families: scaled dot-product self-attention from embeddings and projection matrices."""
from __future__ import annotations

import math

from . import Reject, SolveContext, Solved, rule, solver
from .common import as_list
from .handwork import matmul, softmax, transpose
from ..models import Params


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
    return Solved(answers={"output": as_list(out, 4)},
                  work={"Q": as_list(Q), "K": as_list(K), "V": as_list(V), "scores": as_list(scores),
                        "scaled": as_list(scaled, 4), "weights": as_list(weights, 4)})
