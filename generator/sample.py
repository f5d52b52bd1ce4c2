"""The sample stage: random but valid parameter values for a template, solved.

Draws come from an explicit `random.Random`; each draw is checked against the template's rules
and then solved (a solver may still `Reject` a degenerate instance). The loop is bounded: a
template that cannot be satisfied fails with its id and the rule that kept failing.
"""
from __future__ import annotations

import json
import random
from collections import Counter
from typing import Iterable

from .solvers.degenerate import degenerate_problems
from .inputs.domains import check_given, draw_value
from .errors import ParamError, SamplingError
from .models import Instance, Option, Params, Solved, Template
from .solve import SOLVER_FAILURES, solve
from .solvers import RULES, Reject, SolveContext, load_all, rule_text
from .solvers.effort import in_band
from .solvers.mistakes import mistake_choices

MAX_TRIES = 2000
MAX_REPEATS = 50  # draws spent avoiding an instance another variant already has


def fingerprint(params: Params) -> str:
    """A canonical text of the parameters, to tell instances apart."""
    return json.dumps(params, sort_keys=True, default=str)


def draw_params(template: Template, rng: random.Random, fixed: Params | None = None) -> Params:
    """One draw of every parameter in declaration order; `fixed` values are kept as given."""
    params: Params = {}
    fixed = fixed or {}
    for name, domain in template.params.items():
        params[name] = fixed[name] if name in fixed else draw_value(domain, rng, params)
    return params


def broken_rule(template: Template, params: Params) -> str | None:
    """The first rule these parameters break, or None."""
    load_all()
    for name in template.rules:
        try:
            holds = RULES[name](params)
        except SOLVER_FAILURES as err:  # values given with --set of a shape the rule cannot read
            raise ParamError(f"template {template.id}: rule {name} failed on these values "
                             f"({type(err).__name__}: {str(err)[:120]})") from None
        if not holds:
            return name
    return None


def draw_choices(template: Template, rng: random.Random) -> dict[int, list[Option]]:
    """Options of each multiple-choice part, drawn from the pool and shuffled for this variant."""
    choices: dict[int, list[Option]] = {}
    for index, part in enumerate(template.parts):
        if not part.options:
            continue
        options = list(part.options)
        if part.draw and part.draw < len(options):
            options = _draw_options(options, part.draw, part.multiple, rng)
        if part.shuffle:
            rng.shuffle(options)
        choices[index] = options
    return choices


def _draw_options(pool: list[Option], k: int, multiple: bool, rng: random.Random) -> list[Option]:
    if multiple:
        return rng.sample(pool, k)
    right = [o for o in pool if o.correct]
    wrong = [o for o in pool if not o.correct]
    return [rng.choice(right), *rng.sample(wrong, k - 1)]


def given_params(template: Template, values: Params, origin: str) -> Params:
    """Check values from a preset or --set: known names, right types and shapes."""
    out: Params = {}
    for name, value in values.items():
        if name not in template.params:
            known = ", ".join(template.params) or "none"
            raise ParamError(f"template {template.id}: {origin}: unknown parameter {name!r} (known: {known})")
        try:
            out[name] = check_given(name, template.params[name], value, {**values, **out}, origin == "--set")
        except ParamError as err:
            raise ParamError(f"template {template.id}: {origin}: {err}") from None
    return out


def fixed_instance(template: Template, params: Params, ctx: SolveContext, rng: random.Random,
                   preset: str | None = None, as_choice: bool = False) -> Instance:
    """Solve exactly these values (a preset, or --set for every parameter); no redraws."""
    origin = f"preset {preset}" if preset else "given values"
    rule = None if preset else broken_rule(template, params)  # a paper's own values stand as printed
    if rule:
        raise ParamError(f"template {template.id}: {origin} break rule '{rule}': {rule_text(rule)}")
    try:
        solved = solve(template, params, ctx)
    except Reject as why:
        raise ParamError(f"template {template.id}: {origin} are degenerate: {why}") from None
    choices = draw_choices(template, rng)
    if as_choice:
        try:
            choices.update(mistake_choices(template, params, solved, ctx, rng))
        except Reject as why:
            raise ParamError(f"template {template.id}: {origin} cannot be asked as multiple choice: {why}") from None
    return Instance(template, params, solved, choices, preset=preset)


def instantiate(template: Template, rng: random.Random, ctx: SolveContext, *,
                preset: str | None = None, overrides: Params | None = None,
                avoid: Iterable[str] = (), as_choice: bool = False) -> Instance:
    """A valid, solved instance: a preset, or a bounded rejection-sampling loop.

    `as_choice` asks the parts the template declares mistakes for as multiple choice."""
    overrides = given_params(template, overrides or {}, "--set")
    if preset is not None:
        if preset not in template.presets:
            known = ", ".join(template.presets) or "none"
            raise ParamError(f"template {template.id}: no preset {preset!r} (presets: {known})")
        base = given_params(template, template.presets[preset].params, f"preset {preset}")
        return fixed_instance(template, {**base, **overrides}, ctx, rng, preset, as_choice)
    if set(overrides) >= set(template.params):
        return fixed_instance(template, {n: overrides[n] for n in template.params}, ctx, rng, None, as_choice)
    return _sample_loop(template, rng, ctx, overrides, set(avoid), as_choice)


def _sample_loop(template: Template, rng: random.Random, ctx: SolveContext,
                 fixed: Params, avoid: set[str], as_choice: bool = False) -> Instance:
    failures: Counter[str] = Counter()
    repeats = 0
    for tries in range(1, MAX_TRIES + 1):
        params = draw_params(template, rng, fixed)
        if fingerprint(params) in avoid and repeats < MAX_REPEATS:
            repeats += 1
            continue
        rule = broken_rule(template, params)
        if rule:
            failures[rule] += 1
            continue
        try:
            solved = solve(template, params, ctx)
            choices = draw_choices(template, rng)
            if as_choice:
                choices.update(mistake_choices(template, params, solved, ctx, rng))
        except Reject as why:
            failures[f"solver: {why}"] += 1
            continue
        if not fixed and _effort_off(template, solved):
            failures["effort: more than 25 % from the family's median"] += 1
            continue
        instance = Instance(template, params, solved, choices, tries=tries)
        degenerate = degenerate_problems(instance)  # the template's `degenerate:` list; presets stand as printed
        if degenerate:
            failures[degenerate[0]] += 1
            continue
        return instance
    raise SamplingError(_unsatisfied(template, failures, fixed))


def _effort_off(template: Template, solved: Solved) -> bool:
    """An instance whose hand work is not its family's (solvers/effort.py): drawn again."""
    return template.effort is not None and solved.effort is not None and not in_band(solved.effort, template.effort)


def _unsatisfied(template: Template, failures: Counter[str], fixed: Params) -> str:
    worst, count = failures.most_common(1)[0] if failures else ("(none)", 0)
    text = rule_text(worst) if worst in RULES else worst
    given = f" with {', '.join(f'{k}={v}' for k, v in fixed.items())}" if fixed else ""
    return (f"template {template.id}: no valid instance in {MAX_TRIES} draws{given}; "
            f"rule '{worst}' failed {count} times ({text})")

