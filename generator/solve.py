"""The solve stage: run a template's registered solver on its parameters."""
from __future__ import annotations

import re
import sys

from .errors import SetupError, SolveError
from .models import Params, Solved, Template
from .solvers import SOLVERS, SolveContext, load_all
from .solvers.effort import digits

SOLVER_FAILURES = (AssertionError, ArithmeticError, ValueError, TypeError, IndexError, KeyError, RuntimeError, MemoryError)


def make_context(device: str = "cpu") -> SolveContext:
    """Resolve `--device cpu|cuda|auto` to a context; cuda without a GPU is a clear error."""
    if device == "cpu":
        return SolveContext("cpu")
    if device not in ("cuda", "auto"):
        raise SetupError(f"--device: expected cpu, cuda or auto, got {device!r}")
    import torch

    if torch.cuda.is_available():
        return SolveContext("cuda")
    if device == "auto":
        return SolveContext("cpu")
    raise SetupError("--device cuda: torch sees no CUDA device on this machine (use --device cpu or auto)")


def solve(template: Template, params: Params, ctx: SolveContext) -> Solved:
    """Answers and working for one instance; templates without a solver (essays, MCQ) get none."""
    if template.solver is None:
        return _with_expressions(template, params, Solved(answers={}, work={}))
    load_all()
    fn = SOLVERS.get(template.solver)
    if fn is None:
        raise SolveError(f"{template.path}: solver: no solver named {template.solver!r} "
                         f"(template {template.id})")
    _one_thread()
    try:
        solved = fn(dict(params), ctx)
    except SOLVER_FAILURES as err:  # e.g. torch refusing a shape: bad values, not a bug to trace
        first = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
        raise SolveError(f"template {template.id}: solver {template.solver} failed on these values "
                         f"({type(err).__name__}: {first})") from None
    clash = (set(solved.answers) | set(solved.work)) & set(params)
    if clash:
        raise SolveError(f"template {template.id}: solver {template.solver} returns names that "
                         f"are also parameters: {', '.join(sorted(clash))}")
    return _with_expressions(template, params, solved)


def _one_thread() -> None:
    """Solvers work on tensors of a few numbers, where torch's thread pool only adds wake-up latency
    (a 3x3 softmax: 14 ms with two threads on a busy machine, 1 us with one). Set once torch is loaded;
    torch stays a lazy import, so the first solver call runs with the default pool."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != 1:
        torch.set_num_threads(1)


def _with_expressions(template: Template, params: Params, solved: Solved) -> Solved:
    """Add the template's `answers:` expressions, evaluated over its parameters and solved answers."""
    if not template.answer_exprs:
        return solved
    from .solvers.expressions import evaluate_answers

    try:
        extra = evaluate_answers(template.answer_exprs, {**params, **solved.answers})
    except ValueError as err:  # ExpressionError is one
        raise SolveError(f"{template.path}: answers: {err} (template {template.id})") from None
    effort = (solved.effort or 0.0) + expression_effort(template.answer_exprs, {**params, **solved.answers})
    return Solved({**solved.answers, **extra.answers}, {**solved.work, **extra.work}, effort)


OPERATOR = re.compile(r"[-+*/^]|[A-Za-z_]\w*\s*\(")


def expression_effort(exprs: dict[str, str], values: Params) -> float:
    """The hand work of answer expressions (solvers/effort.py's unit, roughly): each operator or
    function applied costs the digits of the largest number written in the expression."""
    names = sorted(values, key=len, reverse=True)
    total = 0.0
    for text in exprs.values():
        widest = max((digits(values[n]) for n in names if re.search(rf"\b{re.escape(n)}\b", text)
                      and isinstance(values[n], (int, float))), default=1)
        total += len(OPERATOR.findall(text)) * widest
    return total
