"""Gradient descent with momentum on a quadratic: v ← μv − η∇f, θ ← θ + v, checked against torch's SGD."""
from __future__ import annotations

from fractions import Fraction

from . import Reject, SolveContext, Solved, solver
from ..models import Params


def _grad(curv: list[Fraction], centre: list[Fraction], theta: list[Fraction]) -> list[Fraction]:
    """∇f for f(θ) = Σ_i a_i/2 (θ_i − c_i)^2."""
    return [a * (t - c) for a, t, c in zip(curv, theta, centre)]


def momentum_steps(p: Params) -> list[dict[str, list[Fraction]]]:
    """Exact rows (g, v, θ) for each step, in the paper's form v = μv − η g; θ += v."""
    frac = lambda xs: [Fraction(str(x)) for x in xs]  # noqa: E731
    curv, centre, theta = frac(p["curvature"]), frac(p["centre"]), frac(p["theta0"])
    mu, eta = Fraction(str(p["mu"])), Fraction(str(p["lr"]))
    v = [Fraction(0)] * len(theta)
    rows = []
    for _ in range(p["steps"]):
        g = _grad(curv, centre, theta)
        v = [mu * vi - eta * gi for vi, gi in zip(v, g)]
        theta = [t + vi for t, vi in zip(theta, v)]
        rows.append({"g": g, "v": v, "theta": theta})
    return rows


def torch_momentum(p: Params, ctx: object) -> list[list[float]]:
    """θ after each step of torch.optim.SGD(momentum=μ) (buf = μ buf + g; θ −= η buf)."""
    import torch

    theta = ctx.tensor(p["theta0"]).requires_grad_()
    a, c = ctx.tensor(p["curvature"]), ctx.tensor(p["centre"])
    opt = torch.optim.SGD([theta], lr=p["lr"], momentum=p["mu"])
    out = []
    for _ in range(p["steps"]):
        opt.zero_grad()
        (0.5 * a * (theta - c) ** 2).sum().backward()
        opt.step()
        out.append(theta.detach().tolist())
    return out


@solver("momentum_quadratic")
def momentum_quadratic(p: Params, ctx: SolveContext) -> Solved:
    """Each step's gradient, velocity and position, exact; torch's SGD must land on the same θ."""
    rows = momentum_steps(p)
    for exact, seen in zip(rows, torch_momentum(p, ctx)):
        if any(abs(float(e) - s) > 1e-9 for e, s in zip(exact["theta"], seen)):
            raise AssertionError(f"formula {exact['theta']} != torch SGD {seen}")
    if any(g == 0 for g in rows[0]["g"]):
        raise Reject("the start is already at the minimum along an axis")
    table = [{k: [float(x) for x in row[k]] for k in row} for row in rows]
    return Solved(answers={"theta_final": table[-1]["theta"]}, work={"trace": table})
