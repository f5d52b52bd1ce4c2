"""Named mistakes: each computes the wrong answer a student who makes that mistake would give,
from the same parameters. They make the distractors of a numeric part asked as multiple choice
(an exam spec item with `as: multiple-choice`). A template declares them per part:

```yaml
mistakes:
  a: {answer: fov_stride1, format: num, use: [fov_no_plus_one, fov_kernel_sum]}
  main: {...}          # a template without parts
```

`format` is a latexfmt filter (`num`, `vec`, `dec(2)`, `matrix(2)`, `times`): distractors must
differ from each other and from the answer as printed with it. A mistake returns None where it
does not apply; DISTRACTORS of the distinct ones are drawn per variant, and an instance with fewer
is drawn again.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any, Callable

from . import Reject, SolveContext
from ..models import Option, Params, Part, Solved, Template

MistakeFn = Callable[[Params, Solved, SolveContext], Any]
DISTRACTORS = 3          # every part asked as multiple choice shows the answer and 3 distractors
FORMAT = re.compile(r"^(num|dec|vec|matrix|times|exact)(\((\d)\))?$")


@dataclass(frozen=True)
class Mistake:
    name: str
    fn: MistakeFn
    why: str                 # LaTeX (rendered like a solution: parameters and answers may be named)


MISTAKES: dict[str, Mistake] = {}


def mistake(name: str, why: str) -> Callable[[MistakeFn], MistakeFn]:
    """Register `fn(params, solved, ctx) -> wrong answer` as the mistake `name`, explained by `why`."""
    def wrap(fn: MistakeFn) -> MistakeFn:
        if name in MISTAKES and MISTAKES[name].fn is not fn:
            raise RuntimeError(f"mistake {name!r} registered twice")
        MISTAKES[name] = Mistake(name, fn, why)
        return fn

    return wrap


def printed(value: Any, fmt: str) -> str:
    """The value as the exam prints it with the declared latexfmt filter."""
    from ..tex.latexfmt import FILTERS

    m = FORMAT.match(fmt)
    name, places = m.group(1), m.group(3)
    args = (int(places),) if places else ()
    return FILTERS[name](value, *args)


def part_index(template: Template, label: str) -> int:
    return next(i for i, p in enumerate(template.parts) if (p.label or "main") == label)


def mistake_choices(template: Template, params: Params, solved: Solved, ctx: SolveContext,
                    rng: random.Random) -> dict[int, list[Option]]:
    """Options of every part the template can ask as multiple choice: the answer and distractors
    from its mistakes, distinct as printed, shuffled by the variant's generator. Reject otherwise."""
    out = {}
    for label, spec in template.mistakes.items():
        fmt = spec.get("format", "num")
        right = printed(solved.answers[spec["answer"]], fmt)
        seen, wrong = {right}, []
        for name in spec["use"]:
            m = MISTAKES[name]
            value = m.fn(params, solved, ctx)
            if value is None:
                continue
            text = printed(value, fmt)
            if text not in seen:
                seen.add(text)
                wrong.append(Option(f"${text}$", False, m.why))
        if len(wrong) < DISTRACTORS:
            raise Reject(f"part {label}: only {len(wrong)} distinct mistakes")
        if len(wrong) > DISTRACTORS:
            wrong = rng.sample(wrong, DISTRACTORS)
        options = [Option(f"${right}$", True, "The correct value (the working follows)."), *wrong]
        rng.shuffle(options)
        out[part_index(template, label)] = options
    return out


def mistakes_problems(spec: Any, parts: tuple[Part, ...]) -> list[str]:
    """What is wrong with a template's `mistakes` field (for the bank's schema check)."""
    from . import load_all

    load_all()
    if not isinstance(spec, dict):
        return ["expected a mapping of part label to {answer, format, use}"]
    labels = {p.label or "main" for p in parts}
    problems = []
    for label, body in spec.items():
        if not isinstance(label, str) or label not in labels:
            problems.append(f"{label}: no such part (parts: {', '.join(sorted(labels))})")
            continue
        if parts[[p.label or "main" for p in parts].index(label)].options:
            problems.append(f"{label}: the part already has options")
        if not isinstance(body, dict) or not isinstance(body.get("answer"), str):
            problems.append(f"{label}: expected a mapping with answer, format and use")
            continue
        unknown = set(body) - {"answer", "format", "use"}
        if unknown:
            problems.append(f"{label}: unknown field(s) {', '.join(sorted(unknown))}")
        if not FORMAT.match(str(body.get("format", "num"))):
            problems.append(f"{label}.format: expected num, dec, vec, matrix, times or exact, with (places)")
        use = body.get("use")
        if not isinstance(use, list) or len(use) < DISTRACTORS:
            problems.append(f"{label}.use: expected a list of at least {DISTRACTORS} mistakes")
            continue
        problems += [f"{label}.use: no mistake named {n!r}" for n in use if not isinstance(n, str) or n not in MISTAKES]
    return problems
