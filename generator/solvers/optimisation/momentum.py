"""Gradient descent with momentum on a quadratic: v ← μv − η∇f, θ ← θ + v; `examgen check` runs torch's SGD."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from .. import Reject, SolveContext, Solved, solver
from ..effort import Work
from ..checkers import FD_TOL, central_difference, checker, differences
from ..mistakes import mistake
from ...models import Params


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
    """Each step's gradient, velocity and position, exact (`examgen check` runs torch's SGD beside it):
    the answers g_1, v_1, theta_1, ... (the question asks for all three after each step) and theta_final."""
    rows = momentum_steps(p)
    if any(g == 0 for g in rows[0]["g"]):
        raise Reject("the start is already at the minimum along an axis")
    table = [{k: [float(x) for x in row[k]] for k in row} for row in rows]
    each = {f"{k}_{i}": row[k] for i, row in enumerate(table, 1) for k in ("g", "v", "theta")}
    return Solved(answers={**each, "theta_final": table[-1]["theta"]}, work={"trace": table},
                  effort=momentum_effort(p))


def momentum_effort(p: Params) -> float:
    """The solution's hand work, per step and coordinate: ∇f_i = a_i(θ_i − c_i), a subtraction and a
    product; v_i ← μv_i − η∇f_i, two products and a subtraction; θ_i ← θ_i + v_i, an addition."""
    dec = lambda xs: [Decimal(str(x)) for x in xs]  # noqa: E731
    curv, centre, theta = dec(p["curvature"]), dec(p["centre"]), dec(p["theta0"])
    mu, eta = Decimal(str(p["mu"])), Decimal(str(p["lr"]))
    work = Work()
    v = [Decimal(0)] * len(theta)
    for _ in range(p["steps"]):
        g = [work.mul(a, work.add(t, -c)) for a, t, c in zip(curv, theta, centre)]
        v = [work.add(work.mul(mu, vi), -work.mul(eta, gi)) for vi, gi in zip(v, g)]
        theta = [work.add(t, vi) for t, vi in zip(theta, v)]
    return work.total


@checker("momentum_quadratic")
def check_against_torch_sgd(p: Params, solved: Solved) -> list[str]:
    """torch's SGD must land on the formula's θ at every step. A check for `examgen check`, not for
    every build: torch.optim's first step imports torch._dynamo, seconds of a build's time."""
    problems = []
    for step, (exact, seen) in enumerate(zip(momentum_steps(p), torch_momentum(p, SolveContext())), start=1):
        if any(abs(float(e) - s) > 1e-9 for e, s in zip(exact["theta"], seen)):
            problems.append(f"step {step}: formula {[float(e) for e in exact['theta']]} != torch SGD {seen}")
    return problems


# --- independent check (examgen check): the answers computed another way --------------------

@checker("momentum_quadratic")
def check_momentum_quadratic(p: Params, solved: Solved) -> list[str]:
    """v ← μv − ηg, θ ← θ + v in floats, with g from central differences of f; every step's answers."""
    theta = [float(t) for t in p["theta0"]]
    velocity = [0.0] * len(theta)
    problems = []
    for step in range(1, p["steps"] + 1):
        grads = [central_difference(lambda t, i=i: _quadratic_term(p, i, t), theta[i]) for i in range(len(theta))]
        velocity = [p["mu"] * v - p["lr"] * g for v, g in zip(velocity, grads)]
        theta = [t + v for t, v in zip(theta, velocity)]
        for name, seen in (("g", grads), ("v", velocity), ("theta", theta)):
            problems += differences(f"{name}_{step}", solved.answers[f"{name}_{step}"], seen, FD_TOL)
    return problems + differences("theta_final", solved.answers["theta_final"], theta, FD_TOL)


def _quadratic_term(p: Params, i: int, t: float) -> float:
    """The i-th term a_i/2 (θ_i − c_i)^2 of f."""
    return float(p["curvature"][i]) / 2 * (t - float(p["centre"][i])) ** 2


# --- mistakes: the wrong answers students give, as distractors ------------------------------

@mistake("momentum_sign_flipped", "Flips the sign of the gradient in the velocity: $v \\leftarrow \\mu v + \\eta \\nabla f$.")
def momentum_sign_flipped(p: Params, s: Solved, ctx: SolveContext) -> list[float]:
    return [float(t) for t in momentum_steps({**p, "lr": -p["lr"]})[-1]["theta"]]  # v = mu v + eta g


@mistake("momentum_left_out", "Leaves the momentum out (plain gradient descent, $\\theta \\leftarrow \\theta - \\eta\\nabla f$).")
def momentum_left_out(p: Params, s: Solved, ctx: SolveContext) -> list[float]:
    return [float(t) for t in momentum_steps({**p, "mu": 0})[-1]["theta"]]  # v = -eta g


@mistake("momentum_average", "Uses the moving-average form $v \\leftarrow \\mu v + (1-\\mu)\\nabla f$, $\\theta \\leftarrow \\theta - \\eta v$.")
def momentum_average(p: Params, s: Solved, ctx: SolveContext) -> list[float]:
    frac = lambda xs: [Fraction(str(x)) for x in xs]  # noqa: E731
    curv, centre, theta = frac(p["curvature"]), frac(p["centre"]), frac(p["theta0"])
    mu, eta = Fraction(str(p["mu"])), Fraction(str(p["lr"]))
    v = [Fraction(0)] * len(theta)
    for _ in range(p["steps"]):
        v = [mu * vi + (1 - mu) * gi for vi, gi in zip(v, _grad(curv, centre, theta))]
        theta = [t - eta * vi for t, vi in zip(theta, v)]
    return [float(t) for t in theta]


@mistake("momentum_one_step", "Stops after the first update.")
def momentum_one_step(p: Params, s: Solved, ctx: SolveContext) -> list[float]:
    return [float(x) for x in s.work["trace"][0]["theta"]]


def _final(p: Params, mu: Fraction | None = None, steps: int | None = None, gradient: str = "fresh") -> list[float]:
    """θ after the updates with one slip: another μ, another number of steps, or a gradient that is
    `stale` (the start's, kept) or `doubled` (2a(θ − c))."""
    frac = lambda xs: [Fraction(str(x)) for x in xs]  # noqa: E731
    curv, centre, theta = frac(p["curvature"]), frac(p["centre"]), frac(p["theta0"])
    mu = Fraction(str(p["mu"])) if mu is None else mu
    eta = Fraction(str(p["lr"]))
    v = [Fraction(0)] * len(theta)
    first = _grad(curv, centre, theta)
    for _ in range(p["steps"] if steps is None else steps):
        g = first if gradient == "stale" else _grad(curv, centre, theta)
        g = [2 * gi for gi in g] if gradient == "doubled" else g
        v = [mu * vi - eta * gi for vi, gi in zip(v, g)]
        theta = [t + vi for t, vi in zip(theta, v)]
    return [float(t) for t in theta]


@mistake("momentum_no_decay", "Leaves $\\mu$ out of the velocity update and keeps all of it: "
         "$v \\leftarrow v - \\eta\\nabla f$ (as if $\\mu = 1$).")
def momentum_no_decay(p: Params, s: Solved, ctx: SolveContext) -> list[float]:
    return _final(p, mu=Fraction(1))


@mistake("momentum_stale_gradient", "Keeps the gradient of the start for the second update instead of evaluating "
         "$\\nabla f$ at the new $\\theta$.")
def momentum_stale_gradient(p: Params, s: Solved, ctx: SolveContext) -> list[float]:
    return _final(p, gradient="stale")


@mistake("momentum_extra_step", "Carries out one update too many (counts the start as a step).")
def momentum_extra_step(p: Params, s: Solved, ctx: SolveContext) -> list[float]:
    return _final(p, steps=p["steps"] + 1)


@mistake("momentum_gradient_doubled", "Differentiates as if $f$ had no $\\frac12$: "
         "$\\nabla f = 2a_i(\\theta_i - c_i)$, twice the gradient.")
def momentum_gradient_doubled(p: Params, s: Solved, ctx: SolveContext) -> list[float]:
    return _final(p, gradient="doubled")
