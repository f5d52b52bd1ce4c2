"""Scaled dot-product hard attention (Imperial Q2d-i): each query takes the value of its best key."""
from __future__ import annotations

from .. import Reject, SolveContext, Solved, rule, solver
from ..checkers import checker, differences
from ..common import as_list
from ..effort import Work
from .attention import figures
from ...models import Params


@rule("hard_attention_shapes")
def hard_attention_shapes(p: Params) -> bool:
    """Queries and keys have the same width, and there is one value row per key."""
    return len(p["Q"][0]) == len(p["K"][0]) and len(p["K"]) == len(p["V"])


@solver("hard_attention")
def hard_attention(p: Params, ctx: SolveContext) -> Solved:
    """Scores QK^T/sqrt(d_k); a one-hot argmax per row replaces the softmax; output = weights @ V."""
    import torch

    Q, K, V = ctx.tensor(p["Q"]), ctx.tensor(p["K"]), ctx.tensor(p["V"])
    scores = Q @ K.T
    scaled = scores / K.shape[1] ** 0.5
    top = scaled.topk(2, dim=1).values
    if bool(((top[:, 0] - top[:, 1]) < 1e-9).any()):
        raise Reject("a query has two equally good keys")
    best = scaled.argmax(dim=1)
    if len(set(best.tolist())) < 2:
        raise Reject("every query picks the same key")
    weights = torch.nn.functional.one_hot(best, K.shape[0]).to(V.dtype)
    out = weights @ V
    if out.shape == V.shape and torch.equal(out, V):
        raise Reject("each query picks its own key, so the output is V as given")
    return Solved(answers={"output": as_list(out), "chosen": [int(i) + 1 for i in best]},
                  work={"scores": as_list(scores), "scaled": as_list(scaled, 4), "weights": as_list(weights),
                        "d_k": K.shape[1]},
                  effort=hard_attention_effort(p, as_list(scores), K.shape[1]))


def hard_attention_effort(p: Params, scores: list, d_k: int) -> float:
    """The hand work of the worked solution: a dot product per score; each score times
    1/sqrt(d_k) (0.7071 to four figures; a whole root divides); the argmax of each row (a
    comparison per other key); one step per one-hot row and per value row read off V."""
    work = Work()
    for q in p["Q"]:
        for k in p["K"]:
            work.dot(q, k)
    root = d_k ** 0.5
    for row in scores:
        for s in row:
            if root == int(root):
                work.div(s, int(root))
            else:
                work.mul(s, figures(1 / root))
        work.compare(len(row) - 1)
        work.step(2)
    return work.total


# --- independent check (examgen check): the answers computed another way --------------------

@checker("hard_attention")
def check_hard_attention(p: Params, solved: Solved) -> list[str]:
    """Each query's best key by plain dot products; its value row is the output row."""
    best = []
    for q in p["Q"]:
        scores = [sum(a * b for a, b in zip(q, k)) for k in p["K"]]
        best.append(scores.index(max(scores)))
    return (differences("output", solved.answers["output"], [p["V"][k] for k in best])
            + differences("chosen", solved.answers["chosen"], [k + 1 for k in best]))
