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

Which distractors are drawn is not left to a plain random subset: mistakes mostly err one way (a
forgotten bias gives less, an extra factor more), so the answer would mostly be the largest (or a
middle) option and "always pick the largest" would score far above chance; and a distractor made by
one slip differs from the answer in one place, so the answer sits in the middle of the others.
The variant first draws the answer's rank among the options, each rank equally likely, then a set
of distractors below and above the answer that puts it there, the answer being the option closest
to the mean of the options one time in four (`pick_distractors`); an instance whose mistakes cannot
put the answer at the drawn rank is drawn again, as is one with too few. Options are then shuffled,
so their order says nothing either. `examgen check` plays fixed strategies on the options of every
sample (quality/balance.py) and fails a template one of them beats chance + 10 points on.
"""
from __future__ import annotations

import math
import random
import re
from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Callable

from . import Reject, SolveContext
from ..models import Option, Params, Part, Solved, Template

MistakeFn = Callable[[Params, Solved, SolveContext], Any]
DISTRACTORS = 3          # every part asked as multiple choice shows the answer and 3 distractors
FORMAT = re.compile(r"^(num|dec|vec|matrix|times|exact)(\((\d)\))?$")
LEVEL = 1e-9             # relative: a distractor whose mean is this close to the answer's is level with it


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
    from its mistakes, distinct as printed, drawn so that their ranks give nothing away
    (`pick_distractors`) and shuffled by the variant's generator. Reject otherwise."""
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
        answer = Option(f"${right}$", True, "The correct value (the working follows).")
        options = [answer, *pick_distractors(answer, wrong, rng, label, redraw=not is_preset(template, params))]
        rng.shuffle(options)
        out[part_index(template, label)] = options
    return out


def size(shown: list[float]) -> float:
    """What ranks an option: its number, or the mean of its entries (a vector, a matrix, a shape)."""
    return sum(shown) / len(shown) if shown else 0.0


_FRAC = r"(-?)\\frac\{(\d+)\}\{(\d+)\}"
_NUMBER = re.compile(_FRAC + r"|(-?\d+(?:\.\d+)?)")


def option_numbers(text: str) -> list[float]:
    """The numbers an option shows, in reading order (a matrix row by row): what a student sees."""
    body = re.sub(r"\\(begin|end)\{\w+\}", " ", text)
    body = re.sub(r"[^,&\\(]*?\\approx", " ", body)  # '\frac{1}{3} \approx 0.3333': keep the decimal
    out = []
    for m in _NUMBER.finditer(body):
        if m.group(4) is not None:
            out.append(float(m.group(4)))
        else:
            out.append((-1 if m.group(1) else 1) * int(m.group(2)) / int(m.group(3)))
    return out


def closest_to_mean(values: list[list[float]]) -> list[int]:
    """The options nearest (Euclidean) the entry-wise mean of the options of the most common size
    (several where tied): what a student who picks "the one in the middle of the others" picks."""
    sizes = Counter(len(v) for v in values)
    common = max(sizes.values())
    group = [i for i, v in enumerate(values) if v and sizes[len(v)] == common]
    distance = {}
    for i in group:
        same = [j for j in group if len(values[j]) == len(values[i])]
        mean = [sum(values[j][e] for j in same) / len(same) for e in range(len(values[i]))]
        distance[i] = math.dist(values[i], mean)
    if not distance:
        return []
    best = min(distance.values())
    return [i for i, d in distance.items() if d <= best + 1e-9]


def is_preset(template: Template, params: Params) -> bool:
    """These are a paper's own values (a preset), which cannot be drawn again."""
    return any(all(params.get(k) == v for k, v in preset.params.items()) for preset in template.presets.values())


def pick_distractors(answer: Option, wrong: list[Option], rng: random.Random, label: str = "main",
                     redraw: bool = True) -> list[Option]:
    """DISTRACTORS of the wrong options, drawn so that no fixed strategy on the options finds the answer
    more often than chance, judged on the numbers as printed (what a student sees). How many
    distractors lie below the answer (by `size`) is drawn first, 0 to DISTRACTORS, each as likely, so
    the answer's rank is uniform; distractors level with it (the same mean) may stand on either side.
    Reject when the mistakes cannot put the answer at that rank (the sampler draws again; where it
    cannot, `redraw` False, a rank they can give is drawn instead). Among the sets that do, the
    answer is the option closest to the mean of the options in one draw of DISTRACTORS + 1 (where
    the sets allow), as any option would be by chance."""
    shown = [option_numbers(o.text) for o in [answer, *wrong]]
    key = size(shown[0])
    tol = LEVEL * max(1.0, abs(key))
    side = [-1 if size(v) < key - tol else 1 if size(v) > key + tol else 0 for v in shown[1:]]
    lower = rng.randrange(DISTRACTORS + 1)
    fits = [c for c in combinations(range(len(wrong)), DISTRACTORS)
            if sum(side[i] < 0 for i in c) <= lower <= sum(side[i] <= 0 for i in c)]
    if not fits and not redraw:
        fits = list(combinations(range(len(wrong)), DISTRACTORS))
    if not fits:
        raise Reject(f"part {label}: the mistakes cannot put the answer with {lower} option(s) below it "
                     f"({side.count(-1)} below, {side.count(1)} above, {side.count(0)} level)")
    central = rng.random() < 1 / (DISTRACTORS + 1)
    matching = [c for c in fits if (0 in closest_to_mean([shown[0], *(shown[i + 1] for i in c)])) == central]
    return [wrong[i] for i in rng.choice(matching or fits)]


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
