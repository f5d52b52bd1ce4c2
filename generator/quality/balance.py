"""Balance of answers over many samples: how often each categorical outcome comes up (explode or
vanish, which option is correct, where the correct option lands after shuffling, true/false
patterns), and the range of every numeric answer.

A template may declare what its categorical answers can be, and why an imbalance is meant:

```yaml
balance:
  outcomes: {case: [explode, vanish, misleading]}   # answers or working values, all allowed values
  exempt: {"position (part a)": the two options are a yes/no pair, always in this order}
```

Without `outcomes`, text and true/false answers with at most MAX_CATEGORIES distinct values count
as categorical, with the values seen as the allowed ones. An outcome shown in fewer than
`floor(k)` of the draws fails the template (k allowed outcomes; 15 %, or less where k is so large
that a fair share is below 25 %), judged only from MIN_SAMPLES samples on.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..solvers.degenerate import lookup, numbers
from ..models import Instance, Option, Template

SHARE = 0.15              # the least share of draws any allowed outcome must have
MIN_SAMPLES = 100         # fewer samples say too little to fail a template on
MAX_CATEGORIES = 6        # a text answer with more distinct values is free text, not a category
KEPT_VALUES = 1000        # numeric values kept per answer, for the report's histograms


def floor_share(k: int) -> float:
    """The least share for one of k outcomes: 15 %, or 60 % of a fair share when that is lower."""
    return min(SHARE, 0.6 / k) if k else SHARE


@dataclass
class Tally:
    """Counts of categorical outcomes and the spread of numeric answers over a template's samples."""

    counts: dict[str, Counter] = field(default_factory=dict)
    allowed: dict[str, list[str]] = field(default_factory=dict)
    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, instance: Instance) -> None:
        declared = instance.template.balance.get("outcomes", {})
        for name, value in categorical(instance, declared).items():
            self.counts.setdefault(name, Counter())[value] += 1
        for name, allowed in declared.items():
            self.allowed[name] = [str(v) for v in allowed]
        for name, allowed in positions(instance).items():
            self.allowed[name] = allowed
        for name, value in instance.answers.items():
            found = list(numbers(value))
            if found and not isinstance(value, (str, bool)):
                kept = self.values.setdefault(name, [])
                kept += found[:max(0, KEPT_VALUES - len(kept))]

    def add_positions(self, template: Template, choices: dict[int, list[Option]], suffix: str) -> None:
        """Where the correct option of each single-answer part landed (1-based)."""
        for index, options in choices.items():
            name = f"position (part {template.parts[index].label or 'stem'}{suffix})"  # as categorical() names it
            right = [i for i, o in enumerate(options) if o.correct]
            self.counts.setdefault(name, Counter())[str(right[0] + 1)] += 1
            self.allowed[name] = [str(i + 1) for i in range(len(options))]

    def ranges(self) -> dict[str, list[float]]:
        return {k: [min(v), max(v)] for k, v in self.values.items() if v}

    def shares(self) -> dict[str, dict[str, int]]:
        """Every categorical answer's counts, allowed outcomes never drawn included (as 0)."""
        out = {}
        for name, counts in self.counts.items():
            if name not in self.allowed and len(counts) > MAX_CATEGORIES:
                continue  # free text
            keys = self.allowed.get(name, list(counts))
            out[name] = {str(k): counts.get(k, 0) for k in keys} | {k: c for k, c in counts.items() if k not in keys}
        return out

    def problems(self, samples: int, exempt: dict[str, str]) -> tuple[list[str], list[str]]:
        """(failures, notes): outcomes drawn too rarely, and exemptions or small-sample notes."""
        fails, notes = [], []
        for name, counts in self.shares().items():
            total = sum(counts.values())
            if len(counts) < 2 or not total or name.startswith("pattern"):
                continue  # a true/false pattern of several options is reported, not judged
            least = floor_share(len(counts))
            rare = [f"{k} {c / total:.0%}" for k, c in counts.items() if c / total < least]
            if not rare:
                continue
            line = f"unbalanced {name}: " + ", ".join(rare) + f" of {total} draws (each needs {least:.0%})"
            if name in exempt:
                notes.append(f"{line}; declared: {exempt[name]}")
            elif samples < MIN_SAMPLES:
                notes.append(f"{line}; not judged under {MIN_SAMPLES} samples")
            else:
                fails.append(line)
        return fails, notes


def categorical(instance: Instance, declared: dict[str, list[Any]]) -> dict[str, str]:
    """Each categorical outcome of one instance, by name."""
    out = {name: str(lookup(instance, name)) for name in declared}
    for name, value in instance.answers.items():
        if name not in out and isinstance(value, (str, bool)):
            out[name] = str(value)
    for index, options in instance.choices.items():
        part = instance.template.parts[index]
        label = part.label or "stem"
        right = [i for i, o in enumerate(options) if o.correct]
        if part.multiple:
            out[f"pattern (part {label})"] = "".join("T" if o.correct else "F" for o in options)
            for i, option in enumerate(options):
                out[f"option {i + 1} true (part {label})"] = str(option.correct)
        elif right:
            out[f"position (part {label})"] = str(right[0] + 1)
            if sum(o.correct for o in part.options) > 1:
                out[f"correct option (part {label})"] = options[right[0]].text[:40]
    return out


def positions(instance: Instance) -> dict[str, list[str]]:
    """The allowed outcomes of the position of the correct option: every place it can be shown."""
    out = {}
    for index, options in instance.choices.items():
        part = instance.template.parts[index]
        label = part.label or "stem"
        if part.multiple:
            for i in range(len(options)):
                out[f"option {i + 1} true (part {label})"] = ["True", "False"]
        else:
            out[f"position (part {label})"] = [str(i + 1) for i in range(len(options))]
    return out
