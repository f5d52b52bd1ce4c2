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
as categorical, with the values seen as the allowed ones. An outcome whose share is *significantly*
below `floor(k)` fails the template (k allowed outcomes; 15 %, or less where k is so large that a
fair share is below 25 %): an exact one-sided binomial test at the ALPHA level, i.e. the upper end
of its Clopper-Pearson interval (98 %: 1 % each side) lies below the floor. A fixed share on a small
sample would fail fair templates by chance (13 of 100 when 15 % is asked) and pass unfair ones.
Judged only from MIN_SAMPLES samples on.

Every numeric part asked as multiple choice (a `mistakes:` block) is also played by fixed
strategies that look only at the options (`strategy_picks`): always the largest, the smallest, the
others by rank (the medians of four), for vectors and matrices the option nearest the element-wise
maximum or minimum, and the option closest to the mean of the options. A strategy that scores
significantly above chance + STRATEGY_MARGIN (the lower end of its interval is above it) fails the
template: the distractors then err one way and rank finds the answer.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..solvers.degenerate import lookup, numbers
from ..solvers.mistakes import closest_to_mean, option_numbers, size
from ..models import Instance, Option, Template

SHARE = 0.15              # the least share of draws any allowed outcome must have
MIN_SAMPLES = 100         # fewer samples say too little to fail a template on
MAX_CATEGORIES = 6        # a text answer with more distinct values is free text, not a category
KEPT_VALUES = 1000        # numeric values kept per answer, for the report's histograms
ALPHA = 0.01              # one-sided level of every balance test (a fair template fails 1 time in 100)
STRATEGY_MARGIN = 0.10    # a fixed strategy on the options may score at most chance + this
TIE = 1e-9                # option values closer than this are tied (a tied pick shares the credit)


def floor_share(k: int) -> float:
    """The least share for one of k outcomes: 15 %, or 60 % of a fair share when that is lower."""
    return min(SHARE, 0.6 / k) if k else SHARE


# --- exact binomial tails (no scipy): the tests and intervals every balance verdict uses ---------

def _log_pmf(i: int, n: int, p: float) -> float:
    return (math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
            + (i * math.log(p) if i else 0.0) + ((n - i) * math.log1p(-p) if n - i else 0.0))


def binom_at_most(x: int, n: int, p: float) -> float:
    """P(X <= x) for X ~ Binomial(n, p), summed exactly in log space."""
    if x < 0:
        return 0.0
    if x >= n or p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    logs = [_log_pmf(i, n, p) for i in range(x + 1)]
    top = max(logs)
    return min(1.0, math.exp(top) * sum(math.exp(v - top) for v in logs))


def binom_at_least(x: int, n: int, p: float) -> float:
    """P(X >= x) for X ~ Binomial(n, p)."""
    return 1.0 - binom_at_most(x - 1, n, p) if x > 0 else 1.0


def interval(x: int, n: int, alpha: float = ALPHA) -> tuple[float, float]:
    """The Clopper-Pearson interval of a share x/n, alpha on each side (98 % for alpha 1 %): its
    upper end is below p exactly when P(X <= x | p) < alpha, its lower end above p exactly when
    P(X >= x | p) < alpha (the one-sided exact tests the verdicts use)."""
    if not n:
        return 0.0, 1.0

    def solve(f: Any, want: float, rising: bool) -> float:
        lo, hi = 0.0, 1.0
        for _ in range(60):
            mid = (lo + hi) / 2
            if (f(mid) < want) == rising:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    low = 0.0 if x <= 0 else solve(lambda q: binom_at_least(x, n, q), alpha, True)
    high = 1.0 if x >= n else solve(lambda q: binom_at_most(x, n, q), alpha, False)
    return low, high


def below(x: int, n: int, share: float, alpha: float = ALPHA) -> bool:
    """x of n is significantly below `share` (one-sided exact binomial test)."""
    return n > 0 and binom_at_most(x, n, share) < alpha


def above(x: int, n: int, share: float, alpha: float = ALPHA) -> bool:
    """x of n is significantly above `share` (one-sided exact binomial test)."""
    return n > 0 and binom_at_least(x, n, share) < alpha


def share_text(x: float, n: int) -> str:
    """'13% (98% CI 6%–23%)': a share and its interval."""
    low, high = interval(round(x), n)
    return f"{x / n:.0%} ({1 - 2 * ALPHA:.0%} CI {low:.0%}–{high:.0%})"


# --- fixed strategies on the options of a numeric part asked as multiple choice --------------------

def _ordinal(i: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(i, f"{i}th")


def rank_names(n: int) -> list[str]:
    """The rank strategies of n options, largest first (of 4: largest, 2nd largest, 2nd smallest, smallest)."""
    names = []
    for r in range(1, n + 1):
        if r == 1:
            names.append("largest")
        elif r == n:
            names.append("smallest")
        elif r <= n / 2:
            names.append(f"{_ordinal(r)} largest")
        else:
            names.append(f"{_ordinal(n + 1 - r)} smallest")
    return names


def _best(scores: dict[int, float]) -> list[int]:
    top = max(scores.values())
    return [i for i, v in scores.items() if v >= top - TIE]


def strategy_picks(values: list[list[float]]) -> dict[str, list[int]]:
    """The options each fixed strategy picks (several where it ties: it picks one at random).

    Rank: by the mean of an option's entries (a number is its own mean; a shape of another size
    ranks too). Element-wise maximum / minimum (vectors, matrices): among the options of the most
    common size, the one with the most entries equal to the entry-wise maximum (minimum) of them.
    Closest to the mean: among those options, the one nearest (Euclidean) their entry-wise mean."""
    n = len(values)
    key = [size(v) for v in values]
    order = sorted(range(n), key=lambda i: -key[i])
    picks = {}
    for r, name in enumerate(rank_names(n)):
        at = key[order[r]]
        picks[name] = [i for i in range(n) if abs(key[i] - at) <= TIE * max(1.0, abs(at))]
    sizes = Counter(len(v) for v in values)
    common = max(sizes.values())
    group = [i for i in range(n) if sizes[len(values[i])] == common and values[i]]
    if not group:
        return picks
    if max(len(values[i]) for i in group) > 1:
        for name, pick in (("element-wise max", max), ("element-wise min", min)):
            scores = {}
            for i in group:
                same = [j for j in group if len(values[j]) == len(values[i])]
                edge = [pick(values[j][e] for j in same) for e in range(len(values[i]))]
                scores[i] = sum(abs(a - b) <= TIE for a, b in zip(values[i], edge))
            picks[name] = _best(scores)
    picks["closest to the mean"] = closest_to_mean(values)
    return picks


def strategy_credit(values: list[list[float]], right: int) -> dict[str, float]:
    """What each fixed strategy scores on one question: 1 / (options it ties between) if the right
    option is among them, else 0 (the expected score of a student who follows it)."""
    return {name: (1 / len(chosen) if right in chosen else 0.0)
            for name, chosen in strategy_picks(values).items()}


@dataclass
class Tally:
    """Counts of categorical outcomes and the spread of numeric answers over a template's samples."""

    counts: dict[str, Counter] = field(default_factory=dict)
    allowed: dict[str, list[str]] = field(default_factory=dict)
    values: dict[str, list[float]] = field(default_factory=dict)
    credit: dict[str, Counter] = field(default_factory=dict)   # part → strategy → questions it answers
    asked: Counter = field(default_factory=Counter)            # part → questions played
    chance: dict[str, float] = field(default_factory=dict)     # part → 1 / options

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

    def add_strategies(self, template: Template, choices: dict[int, list[Option]], suffix: str) -> None:
        """Play every fixed strategy on the options of each numeric part asked as multiple choice."""
        for index, options in choices.items():
            name = f"part {template.parts[index].label or 'stem'}{suffix}"
            values = [option_numbers(o.text) for o in options]
            right = [i for i, o in enumerate(options) if o.correct]
            if len(right) != 1 or not all(values):
                continue
            self.asked[name] += 1
            self.chance[name] = 1 / len(options)
            self.credit.setdefault(name, Counter()).update(strategy_credit(values, right[0]))

    def strategies(self) -> dict[str, dict[str, dict[str, float]]]:
        """Each part's strategies: share of questions answered, with its interval (98 %)."""
        out = {}
        for name, credit in self.credit.items():
            n = self.asked[name]
            out[name] = {}
            for strategy, got in credit.items():
                low, high = interval(round(got), n)
                out[name][strategy] = {"score": round(got / n, 4), "low": round(low, 4), "high": round(high, 4)}
        return out

    def strategy_problems(self, samples: int) -> tuple[list[str], list[str]]:
        """(failures, notes): a strategy significantly above chance + STRATEGY_MARGIN fails; every
        part's scores are noted, with their intervals."""
        fails, notes = [], []
        for name, credit in self.credit.items():
            n, limit = self.asked[name], self.chance[name] + STRATEGY_MARGIN
            scores = ", ".join(f"{s} {share_text(got, n)}" for s, got in credit.items())
            notes.append(f"strategies on the options ({name}, {n} questions, chance {self.chance[name]:.0%}): {scores}")
            beaten = [f"{s} {share_text(got, n)}" for s, got in credit.items() if above(round(got), n, limit)]
            if not beaten:
                continue
            line = (f"predictable options ({name}): " + ", ".join(beaten)
                    + f" of {n} questions, significantly above chance + {STRATEGY_MARGIN:.0%} = {limit:.0%}")
            if samples < MIN_SAMPLES:
                notes.append(f"{line}; not judged under {MIN_SAMPLES} samples")
            else:
                fails.append(line)
        return fails, notes

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
        """(failures, notes): outcomes drawn significantly too rarely fail (each shown with its interval);
        shares below the floor by chance, exemptions and small samples are noted."""
        fails, notes = [], []
        for name, counts in self.shares().items():
            total = sum(counts.values())
            if len(counts) < 2 or not total or name.startswith("pattern"):
                continue  # a true/false pattern of several options is reported, not judged
            least = floor_share(len(counts))
            rare = {k: c for k, c in counts.items() if c / total < least}
            if not rare:
                continue
            line = (f"unbalanced {name}: " + ", ".join(f"{k} {share_text(c, total)}" for k, c in rare.items())
                    + f" of {total} draws (each needs {least:.0%})")
            if name in exempt:
                notes.append(f"{line}; declared: {exempt[name]}")
            elif not any(below(c, total, least) for c in rare.values()):
                notes.append(f"{line}; not significantly below it (one-sided binomial test at {ALPHA:.0%})")
            elif samples < MIN_SAMPLES:
                notes.append(f"{line}; not judged under {MIN_SAMPLES} samples")
            else:
                fails.append(f"{line}; significantly below it: the interval lies below {least:.0%}")
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
