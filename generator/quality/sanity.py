"""Checks on one solved instance, for `examgen check` and the property tests: rules still hold,
values lie in their declared domains, answers are finite, the independent checker agrees, the
text renders. Each returns a list of problems (empty when all is well).
"""
from __future__ import annotations

import math
import re
from typing import Any, Iterator

from ..inputs.domains import coerce_value
from ..errors import ExamgenError, ParamError
from ..models import Instance, Params, Pick, Solved, Template
from ..render import part_label, render_question
from ..sample import broken_rule
from ..solvers.checkers import CHECKERS


def rule_problems(instance: Instance) -> list[str]:
    """The rules must still hold after solving (a solver that edits its inputs breaks them)."""
    broken = broken_rule(instance.template, instance.params)
    return [f"rule '{broken}' does not hold for the solved instance"] if broken else []


def domain_problems(template: Template, params: Params) -> list[str]:
    """Drawn values lie in their declared domains: type, shape, range, choices."""
    problems: list[str] = []
    for name, domain in template.params.items():
        value = params.get(name)
        try:
            coerce_value(name, domain, value, params)
        except ParamError as err:
            problems.append(f"param {err}")
            continue
        problems += [f"param {name}={value!r}: {why}" for why in range_problems(domain, value)]
    return problems


def range_problems(domain: dict[str, Any], value: Any) -> list[str]:
    """Declared min/max, choices, nonzero and const values."""
    kind = domain["type"]
    if kind == "const":
        return [] if value == domain["value"] else [f"const should be {domain['value']!r}"]
    if kind in ("choice",) or (kind == "int" and "choices" in domain):
        return [] if value in domain["choices"] else ["not one of the declared choices"]
    if kind == "distribution":
        return distribution_problems(domain, value)
    if kind not in ("int", "float", "pair", "vector", "matrix"):
        return []
    numbers = list(flatten(value))
    lo, hi = domain.get("min", -math.inf), domain.get("max", math.inf)
    problems = [f"outside [{lo}, {hi}]"] if any(not lo <= v <= hi for v in numbers) else []
    return problems + (["zero where nonzero is declared"] if domain.get("nonzero") and 0 in numbers else [])


def distribution_problems(domain: dict[str, Any], value: list[float]) -> list[str]:
    least = float(domain.get("min", 0.05))
    problems = [] if abs(math.fsum(value) - 1) < 1e-9 else [f"sums to {math.fsum(value)}, not 1"]
    return problems + ([f"an entry below {least}"] if min(value) < least - 1e-12 else [])


def flatten(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):   # a mapping answer (a layer's name → its shape)
        yield from flatten(list(value.values()))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from flatten(item)
    else:
        yield value


def nonfinite(value: Any, path: str) -> list[str]:
    """Every place in nested answers (lists, dicts, sympy values, tensors) that is not finite."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in nonfinite(v, f"{path}.{k}")]
    if isinstance(value, (list, tuple)):
        return [p for i, v in enumerate(value) for p in nonfinite(v, f"{path}[{i}]")]
    module = type(value).__module__
    if module.startswith(("torch", "numpy")):
        return nonfinite(value.tolist(), path)
    if module.startswith("sympy"):
        return [] if sympy_finite(value) else [f"{path} is not finite ({value})"]
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{path} is not finite ({value})"]
    return []


def sympy_finite(value: Any) -> bool:
    """True unless a sympy value is or holds an infinity or NaN."""
    import sympy

    if isinstance(value, sympy.MatrixBase):
        return all(sympy_finite(v) for v in value)
    if not isinstance(value, sympy.Basic):
        return True
    return not value.has(sympy.oo, -sympy.oo, sympy.zoo, sympy.nan)


def agreement_problems(instance: Instance) -> list[str]:
    """The independent checker's verdict on this instance ([] when there is none)."""
    check = CHECKERS.get(instance.template.solver or "")
    if check is None:
        return []
    try:
        return [f"disagreement: {p}" for p in check(instance.params, instance.solved)]
    except Exception as err:  # a checker that cannot read the answers is itself a finding
        return [f"checker {instance.template.solver} crashed: {type(err).__name__}: {err}"]


def render_problems(instance: Instance) -> list[str]:
    """Render question, solution and answer of every part (StrictUndefined catches undefined names)."""
    try:
        render_question(instance, Pick(instance.template), label_stream())
    except ExamgenError as err:
        return [f"render: {err}"]
    return mcq_problems(instance)


def response_problems(instance: Instance) -> list[str]:
    """Each part's declared response names answers its solver gives, of the kind it says."""
    found = []
    for part in instance.template.parts:
        if part.when is not None and not instance.params.get(part.when):
            continue          # a part this instance does not ask
        r = part.response
        where = f"part {part.label or 'main'} response"
        for name in r.answers:
            if name not in instance.solved.answers:
                found.append(f"{where}: no answer {name!r} (the solver gives {', '.join(instance.solved.answers)})")
        if found or not r.answers:
            continue
        values = [instance.solved.answers[n] for n in r.answers]
        if r.kind == "number" and isinstance(values[0], (list, tuple)):
            found.append(f"{where}: {r.answers[0]} is a list, not a number (type: values, shape or matrix)")
        if r.kind in ("number", "values", "matrix") and r.decimals is None and any(not _whole(v) for v in flatten(values)):
            found.append(f"{where}: {', '.join(r.answers)} is not a whole number; state its precision (decimals: N)")
    return found


def _whole(value: Any) -> bool:
    try:
        return float(value) == round(float(value))
    except (TypeError, ValueError, OverflowError):
        return False


def mcq_problems(instance: Instance) -> list[str]:
    """A single-answer multiple-choice part must show exactly one correct option."""
    problems = []
    for index, options in instance.choices.items():
        part = instance.template.parts[index]
        right = sum(o.correct for o in options)
        if not part.multiple and right != 1:
            problems.append(f"part {part.label or index}: shows {right} correct options, expected 1")
    return problems


# How examgen verified itself (autograd, a simulated run, the PyTorch module) belongs in `examgen check`,
# not on the page: a solution, answer or guide that says so fails (issue 25), and so does an aside that
# a second route or a run "gives the same" ("Differentiating y directly gives the same.", "a batch of
# two images still gives an output of shape ...", "so it takes exactly these steps").
SELF_CHECK_PHRASES = ("checked numerically", "checked against", "checked on the pytorch", "checked with autograd",
                      "autograd gives", "autograd through", "autograd on", "autograd agrees",
                      "simulated first epoch", "a simulated epoch", "the model above runs",
                      "through the real stack", "verified numerically", "verified with", "examgen verified",
                      "against automatic differentiation", "directly gives the same", "gives the same result",
                      "still gives an output", "exactly these steps", "agrees with ours", "matches pytorch",
                      "pytorch gives the same", "as a check", "to check,")


def self_check_problems(template: Template) -> list[str]:
    """Solution, answer and marking lines that speak of how examgen checked itself."""
    texts = [("solution", template.stem_solution)]
    for part in template.parts:
        where = f"part {part.label}" if part.label else "main"
        texts += [(f"{where} solution", part.solution), (f"{where} answer", part.answer)]
        texts += [(f"{where} marking[{i}]", m.text) for i, m in enumerate(part.marking)]
    found = []
    for where, text in texts:
        flat = " ".join((text or "").split())     # a phrase may run over a line break of the YAML
        hits = [p for p in SELF_CHECK_PHRASES if p in flat.lower()]
        if hits:
            at = flat.lower().index(hits[0])
            found.append(f"{where} says how examgen checked itself ({hits[0]!r}): "
                         f"{flat[max(0, at - 40):at + 40]!r}; leave that to `examgen check`")
    return found


# A choice part says how many labels to write (issue 25): one, both, an exact number, or all that apply.
HOW_MANY = re.compile(r"\b(choose|pick|select|give the labels? of|write (down )?the labels? of)\s+(exactly\s+)?"
                      r"(one|two|three|four|both|all|\d)\b|all that apply|all the (true|correct|right) ones", re.I)
# ... and asks for a written reason only where it leaves marks, and so room, for one.
EXPLAIN = re.compile(r"\b(explain|justify|give (a |your |the )?reasons?|(say|state) why)\b", re.I)
NO_BOXES = re.compile(r"\b(tick|circle|cross)\b", re.I)   # the paper prints labels, not boxes


def choice_wording_problems(template: Template) -> list[str]:
    """Each choice part says how many options to give, asks for labels rather than ticks, and, when it
    asks for a written reason, declares the marks for it (`response: {type: choice, manual: N}`), which
    is what sizes its answer box (tex/document.py)."""
    found = []
    for part in template.parts:
        if not part.options:
            continue
        where, text = f"part {part.label}" if part.label else "the question", " ".join(part.question.split())
        if not HOW_MANY.search(text):
            found.append(f"{where} has options but does not say how many to give "
                         "(\"Choose one.\", \"Give the labels of both.\", \"... all that apply.\")")
        if NO_BOXES.search(text):
            found.append(f"{where} says {NO_BOXES.search(text).group(0)!r}, but the paper has no boxes: "
                         "say which labels to write")
        if EXPLAIN.search(text) and not part.response.manual:
            found.append(f"{where} asks for a written reason ({EXPLAIN.search(text).group(0)!r}) but leaves no "
                         "marks, and so no room, for it: declare them (response: {type: choice, manual: N})")
    return found


def marking_problems(template: Template) -> list[str]:
    """Every part has a marking guide, and its shares lie on the half-mark grid (quarter marks only
    inside a part worth less than one mark)."""
    found = []
    for part in template.parts:
        where = f"part {part.label}" if part.label else "the question"
        if part.marks and not part.marking:
            found.append(f"{where} ({part.marks:g} marks) has no marking guide "
                         "(`marking:` a list of {points, text} adding up to its marks)")
            continue
        step = mark_step(part.marks)
        off = [m.points for m in part.marking if not on_grid(m.points, step)]
        if off:
            found.append(f"{where}: marking shares {', '.join(f'{p:g}' for p in off)} are not multiples of "
                         f"{step:g} (half marks; quarter marks only in a part worth less than one mark)")
    return found


def mark_step(marks: float) -> float:
    """The grid a part's shares lie on: half marks, quarter marks in a part worth less than one mark."""
    return 0.25 if marks < 1 else 0.5


def on_grid(value: float, step: float) -> bool:
    return abs(value / step - round(value / step)) < 1e-9


def label_stream() -> Iterator[str]:
    """Part labels a, b, ..., z, aa, ab, ... without end."""
    n = 0
    while True:
        yield part_label(n)
        n += 1


def unchecked_answers(instance: Instance) -> list[str]:
    """Answer keys the checker does not notice when their first value is altered (unverified keys)."""
    check = CHECKERS.get(instance.template.solver or "")
    if check is None or agreement_problems(instance):
        return []
    missed = []
    for key, value in instance.answers.items():
        wrong, done = altered(value)
        if done and not check(instance.params, Solved({**instance.answers, key: wrong}, instance.solved.work)):
            missed.append(key)
    return missed


def altered(value: Any) -> tuple[Any, bool]:
    """The first number, sympy expression or text in a nested value changed; False when there is none."""
    if isinstance(value, (dict, list)):
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        for key, item in items:
            wrong, done = altered(item)
            if done:
                copy = dict(value) if isinstance(value, dict) else list(value)
                copy[key] = wrong
                return copy, True
        return value, False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value + 1, True
    if type(value).__module__.startswith("sympy") and hasattr(value, "free_symbols"):
        return value + 1, True
    if isinstance(value, str):
        return value + " (altered)", True
    return value, False
