"""Convolution-layer arithmetic: the output volume of a layer, and the gradients of a 2-D convolution."""
from __future__ import annotations

from .. import Reject, SolveContext, Solved, rule, solver
from ..checkers import FD_TOL, checker, differences, partials
from ..common import as_list
from ..effort import Work
from ..handwork import correlate, layer_shape
from ..mistakes import mistake
from ...models import Params


@rule("convvol_divides_evenly")
def convvol_divides_evenly(p: Params) -> bool:
    """(input + 2·padding − kernel) is a multiple of the stride, and the kernel fits the padded input."""
    span = p["input_size"] + 2 * p["padding"] - p["kernel"]
    return span > 0 and span % p["stride"] == 0


@solver("conv_output_volume")
def conv_output_volume(p: Params, ctx: SolveContext) -> Solved:
    """(n + 2p − k)/s + 1 for height and width, filters for depth; checked on nn.Conv2d (meta device)."""
    import torch
    import torch.nn as nn

    n, k, s, pad = p["input_size"], p["kernel"], p["stride"], p["padding"]
    side = (n + 2 * pad - k) // s + 1
    layer = nn.Conv2d(p["in_channels"], p["filters"], k, stride=s, padding=pad, device="meta")
    shape = list(layer(torch.empty(1, p["in_channels"], n, n, device="meta")).shape)
    if shape != [1, p["filters"], side, side]:
        raise AssertionError(f"formula {side} != torch {shape}")
    work = Work()   # the formula once (the input is square): 2·p, + n, − k, ÷ s, + 1; the depth read off
    numerator = work.add(work.add(n, work.mul(2, pad)), -k)
    work.div(numerator, s)
    work.add(numerator // s, 1)
    work.step()
    return Solved(answers={"volume": [side, side, p["filters"]]},
                  work={"numerator": n + 2 * pad - k, "quotient": (n + 2 * pad - k) // s, "side": side},
                  effort=work.total)


def full_convolution(grad_out: "torch.Tensor", kernel: "torch.Tensor") -> "torch.Tensor":  # noqa: F821
    """∂L/∂X by the formula: pad ∂L/∂O by k−1 zeros and slide the 180°-rotated filter over it."""
    import torch.nn.functional as F

    kh, kw = kernel.shape
    padded = F.pad(grad_out[None, None], (kw - 1, kw - 1, kh - 1, kh - 1))
    return F.conv2d(padded, kernel.flip(0, 1)[None, None])[0, 0]


@solver("conv_backward")
def conv_backward(p: Params, ctx: SolveContext) -> Solved:
    """∂L/∂F = X ⋆ ∂L/∂O (valid) and ∂L/∂X = full convolution; both checked with autograd."""
    import torch.nn.functional as F

    X = ctx.tensor(p["X"]).requires_grad_()
    W = ctx.tensor(p["F"]).requires_grad_()
    dO = ctx.tensor(p["dO"])
    out = F.conv2d(X[None, None], W[None, None])[0, 0]
    if list(out.shape) != list(dO.shape):
        raise Reject("the upstream gradient does not match the output size")
    out.backward(dO)
    dF = F.conv2d(X.detach()[None, None], dO[None, None])[0, 0]
    dX = full_convolution(dO, W.detach())
    if not (dF.allclose(W.grad) and dX.allclose(X.grad)):
        raise AssertionError("formula gradients differ from autograd")
    kh, kw = W.shape
    dF_terms = [[" + ".join(f"{_p(p['X'][i + a][j + b])}\\cdot {_p(p['dO'][a][b])}"
                            for a in range(dO.shape[0]) for b in range(dO.shape[1]))
                 for j in range(kw)] for i in range(kh)]
    return Solved(answers={"dF": as_list(dF), "dX": as_list(dX)},
                  work={"O": as_list(out.detach()), "F_rot": as_list(W.detach().flip(0, 1)), "dF_terms": dF_terms,
                        "dO_padded": as_list(F.pad(dO, (kw - 1, kw - 1, kh - 1, kh - 1)))},
                  effort=_backward_effort(p["X"], p["F"], p["dO"]))


def _backward_effort(X: list[list[float]], W: list[list[float]], dO: list[list[float]]) -> float:
    """∂L/∂F: each weight's sum of products X·∂L/∂O over the output positions; ∂L/∂X: each input's
    sum of the rotated filter times the zero-padded ∂L/∂O it covers (× ±1 and × 0 free). Counted
    beside the answers, in the printed whole numbers."""
    work = Work()
    oh, ow, kh, kw = len(dO), len(dO[0]), len(W), len(W[0])
    for i in range(kh):
        for j in range(kw):
            work.dot([X[i + a][j + b] for a in range(oh) for b in range(ow)], [dO[a][b] for a in range(oh) for b in range(ow)])
    for i in range(len(X)):
        for j in range(len(X[0])):
            pairs = [(dO[i - a][j - b], W[a][b]) for a in range(kh) for b in range(kw)
                     if 0 <= i - a < oh and 0 <= j - b < ow]
            work.dot([g for g, _ in pairs], [w for _, w in pairs])
    return work.total


def _p(v: float) -> str:
    from ...tex.latexfmt import num

    text = num(v)
    return f"({text})" if text.startswith("-") else text


# --- independent check (examgen check): the answers computed another way --------------------

@checker("conv_output_volume")
def check_conv_output_volume(p: Params, solved: Solved) -> list[str]:
    """Height, width (floor formula) and depth (the number of filters)."""
    layer = {"layer": "Conv2d", "in": p["in_channels"], "out": p["filters"], "kernel": p["kernel"],
             "stride": p["stride"], "padding": p["padding"]}
    _, depth, h, w = layer_shape(layer, [1, p["in_channels"], p["input_size"], p["input_size"]])
    return differences("volume", solved.answers["volume"], [h, w, depth])


@checker("conv_backward")
def check_conv_backward(p: Params, solved: Solved) -> list[str]:
    """dF and dX of L = Σ O ⊙ dO, O = X ⋆ F, by finite differences on a looped convolution."""
    def loss(X: list[list[float]], F: list[list[float]]) -> float:
        out = correlate(X, F)
        return sum(o * g for orow, grow in zip(out, p["dO"]) for o, g in zip(orow, grow))
    dF = partials(lambda F: loss(p["X"], F), p["F"])
    dX = partials(lambda X: loss(X, p["F"]), p["X"])
    return differences("dF", solved.answers["dF"], dF, FD_TOL) + differences("dX", solved.answers["dX"], dX, FD_TOL)


# --- mistakes: the wrong answers students give, as distractors ------------------------------

def _volume(side: int | None, depth: int) -> list[int] | None:
    return None if side is None or side < 1 else [side, side, depth]


@mistake("convvol_padding_forgotten", "Forgets the padding: $(n - k)/s + 1$.")
def convvol_padding_forgotten(p: Params, s: Solved, ctx: SolveContext) -> list[int] | None:
    span = p["input_size"] - p["kernel"]
    return _volume(span // p["stride"] + 1 if span >= 0 else None, p["filters"])


@mistake("convvol_stride_forgotten", "Forgets the stride: $n + 2p - k + 1$.")
def convvol_stride_forgotten(p: Params, s: Solved, ctx: SolveContext) -> list[int] | None:
    return _volume(p["input_size"] + 2 * p["padding"] - p["kernel"] + 1, p["filters"])


@mistake("convvol_no_plus_one", "Drops the $+1$ of the output-size formula (off by one).")
def convvol_no_plus_one(p: Params, s: Solved, ctx: SolveContext) -> list[int] | None:
    return _volume((p["input_size"] + 2 * p["padding"] - p["kernel"]) // p["stride"], p["filters"])


@mistake("convvol_padding_once", "Pads one side only: $(n + p - k)/s + 1$.")
def convvol_padding_once(p: Params, s: Solved, ctx: SolveContext) -> list[int] | None:
    span = p["input_size"] + p["padding"] - p["kernel"]
    return _volume(span // p["stride"] + 1 if span >= 0 else None, p["filters"])


@mistake("convvol_input_depth", "Keeps the input's depth instead of one channel per filter.")
def convvol_input_depth(p: Params, s: Solved, ctx: SolveContext) -> list[int]:
    side = s.work["side"]
    return [side, side, p["in_channels"]]


@mistake("convvol_size_kept", "Assumes a convolution keeps the input's height and width ($n \\times n$), as a "
         "``same'' padding would, and only the depth changes.")
def convvol_size_kept(p: Params, s: Solved, ctx: SolveContext) -> list[int]:
    return [p["input_size"], p["input_size"], p["filters"]]


@mistake("convvol_stride_multiplied", "Multiplies by the stride instead of dividing: $(n + 2p - k)\\,s + 1$.")
def convvol_stride_multiplied(p: Params, s: Solved, ctx: SolveContext) -> list[int] | None:
    if p["stride"] == 1:
        return None
    return _volume((p["input_size"] + 2 * p["padding"] - p["kernel"]) * p["stride"] + 1, p["filters"])


@mistake("convvol_depth_product", "Thinks each filter gives one map per input channel: a depth of input channels "
         "$\\times$ filters.")
def convvol_depth_product(p: Params, s: Solved, ctx: SolveContext) -> list[int] | None:
    if p["in_channels"] == 1:
        return None
    side = s.work["side"]
    return [side, side, p["in_channels"] * p["filters"]]


@mistake("convvol_depth_added", "Keeps the input's channels and adds one map per filter: a depth of input "
         "channels $+$ filters.")
def convvol_depth_added(p: Params, s: Solved, ctx: SolveContext) -> list[int]:
    side = s.work["side"]
    return [side, side, p["in_channels"] + p["filters"]]
