"""Loss families: cross-entropy of a predicted distribution."""
from __future__ import annotations

from fractions import Fraction

from . import SolveContext, Solved, rule, solver
from ..models import Params


@rule("true_class_exists")
def true_class_exists(p: Params) -> bool:
    """The true class is one of the classes."""
    return 0 <= p["true_class"] < len(p["probs"]) == len(p["classes"])


@solver("cross_entropy")
def cross_entropy(p: Params, ctx: SolveContext) -> Solved:
    """-log p(true class), exact with sympy: log(1/p) for the printed decimal p; the checker runs
    torch's nll_loss on log-probabilities."""
    import sympy

    prob = Fraction(str(p["probs"][p["true_class"]]))
    exact = sympy.log(sympy.Rational(prob.denominator, prob.numerator))
    onehot = [1 if i == p["true_class"] else 0 for i in range(len(p["probs"]))]
    return Solved(answers={"loss": exact},
                  work={"p_true": p["probs"][p["true_class"]], "true_name": p["classes"][p["true_class"]],
                        "onehot": onehot})
