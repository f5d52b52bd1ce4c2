"""Input sizes a strided 'same'-padded convolution maps to a given output size, per axis."""
from __future__ import annotations

from .. import SolveContext, Solved, rule, solver
from ..checkers import checker, differences
from ..effort import Work
from ...models import Params


def same_output(size: int, kernel: int, stride: int) -> int:
    """Output size of a TensorFlow-style 'same' convolution, run on torch's meta device.

    The padding is what 'same' adds (in total max((ceil(m/s)-1)s + k - m, 0), split low/high);
    torch then does the arithmetic, so this does not rely on the closed form."""
    import torch
    import torch.nn.functional as F

    need = max((-(-size // stride) - 1) * stride + kernel - size, 0)
    x = torch.empty(1, 1, size, 1, device="meta")
    x = F.pad(x, (0, 0, need // 2, need - need // 2))
    w = torch.empty(1, 1, kernel, 1, device="meta")
    return int(F.conv2d(x, w, stride=(stride, 1)).shape[2])


def bounds(out: int, stride: int) -> tuple[int, int]:
    """n = floor((m - 1)/s) + 1  <=>  (n - 1)s + 1 <= m <= n s."""
    return (out - 1) * stride + 1, out * stride


def brute_force_bounds(out: int, kernel: int, stride: int) -> tuple[int, int]:
    """Smallest and largest input size whose 'same' output is `out`, by trying every size."""
    hits = [m for m in range(1, (out + 1) * stride + 2) if same_output(m, kernel, stride) == out]
    return min(hits), max(hits)


@rule("conv_bounds_strided")
def conv_bounds_strided(p: Params) -> bool:
    """The stride is at least 2 (with stride 1 the input size is fixed) and at most the filter size."""
    return 2 <= p["stride"] <= min(p["kernel"])


@solver("conv_same_input_bounds")
def conv_same_input_bounds(p: Params, ctx: SolveContext) -> Solved:
    """Lower and upper input size per axis by the closed form; `examgen check` tries every size,
    once in plain Python and once with torch doing each convolution (its checkers, below)."""
    rows, work = [], Work()
    for axis, name in enumerate(("height", "width")):
        n = p["output"][axis]
        lo, hi = bounds(n, p["stride"])
        # per axis, as the solution writes it: n − 1, (n − 1)·s + 1, n·s
        work.add(work.mul(work.add(n, -1), p["stride"]), 1)
        work.mul(n, p["stride"])
        rows.append({"axis": name, "n": n, "n_minus": n - 1, "lower": lo, "upper": hi})
    answers = {"lower": [r["lower"] for r in rows], "upper": [r["upper"] for r in rows]}
    for r in rows:   # one value per blank, in the order the question asks: height's range, then width's
        answers[f"min_{r['axis']}"], answers[f"max_{r['axis']}"] = r["lower"], r["upper"]
    return Solved(answers=answers, work={"axes": rows}, effort=work.total)


# --- independent check (examgen check): the answers computed another way --------------------

def same_output_size(size: int, stride: int) -> int:
    """What a 'same'-padded convolution outputs: one value per stride step that starts in the input."""
    return len(range(0, size, stride))


@checker("conv_same_input_bounds")
def check_conv_same_input_bounds(p: Params, solved: Solved) -> list[str]:
    """Every input size up to (n + 1)·s tried; the smallest and largest that give n."""
    lower, upper = [], []
    for n in p["output"]:
        hits = [m for m in range(1, (n + 1) * p["stride"] + 1) if same_output_size(m, p["stride"]) == n]
        lower.append(min(hits))
        upper.append(max(hits))
    each = [solved.answers[f"{end}_{axis}"] for axis in ("height", "width") for end in ("min", "max")]
    return (differences("lower", solved.answers["lower"], lower) + differences("upper", solved.answers["upper"], upper)
            + differences("min/max height, min/max width", each, [lower[0], upper[0], lower[1], upper[1]]))


@checker("conv_same_input_bounds")
def check_conv_same_input_bounds_on_torch(p: Params, solved: Solved) -> list[str]:
    """The same search with torch computing each 'same' convolution (conv_bounds.brute_force_bounds)."""

    found = [brute_force_bounds(n, k, p["stride"]) for n, k in zip(p["output"], p["kernel"])]
    return (differences("lower (torch)", solved.answers["lower"], [lo for lo, _ in found])
            + differences("upper (torch)", solved.answers["upper"], [hi for _, hi in found]))
