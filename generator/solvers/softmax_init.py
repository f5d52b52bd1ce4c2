"""Loss of a softmax classifier at initialisation (Imperial Q1f): tiny weights give uniform outputs."""
from __future__ import annotations

from . import SolveContext, Solved, solver
from ..models import Params


def initial_loss_torch(classes: int, std: float, ctx: SolveContext, features: int = 64, batch: int = 512) -> float:
    """Mean cross-entropy of a freshly initialised linear softmax layer on random inputs (seeded)."""
    import torch

    gen = torch.Generator(device="cpu").manual_seed(0)
    W = (torch.randn(classes, features, generator=gen, dtype=torch.float64) * std).to(ctx.device)
    x = torch.randn(batch, features, generator=gen, dtype=torch.float64).to(ctx.device)
    labels = torch.randint(classes, (batch,), generator=gen).to(ctx.device)
    return torch.nn.functional.cross_entropy(x @ W.T, labels).item()


@solver("softmax_init_loss")
def softmax_init_loss(p: Params, ctx: SolveContext) -> Solved:
    """ln C exactly (sympy), checked against torch on a simulated first epoch with learning rate 0."""
    import sympy

    exact = sympy.log(sympy.Integer(p["classes"]))
    simulated = initial_loss_torch(p["classes"], p["std"], ctx)
    if abs(simulated - float(exact)) > 1e-2:
        raise AssertionError(f"simulated loss {simulated} is not close to ln C = {float(exact)}")
    return Solved(answers={"loss": exact}, work={"simulated": round(simulated, 4), "uniform": sympy.Rational(1, p["classes"])})
