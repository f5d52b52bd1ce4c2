"""Statistics of a graded class: each student's totals, each part's facility (mean marks / max) and
discrimination (point-biserial correlation of the part's score with the rest of the test), the
share of each verdict and the commonest mistakes, and per family whether its variants differ in
difficulty (one-way ANOVA F test of the part's scores across variants; flagged when p < 0.01).
p-values are computed here, in pure Python (the regularised incomplete beta function)."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

ALPHA = 0.01
VERDICTS = ("correct", "mistake", "follow-through", "wrong", "blank", "manual")


@dataclass
class StudentRow:
    student: str
    code: str
    total: float
    max: float
    by_label: dict[str, float]


@dataclass
class ItemRow:
    label: str
    families: list[str]
    max: float
    n: int
    facility: float
    discrimination: float | None
    shares: dict[str, float]
    mistakes: list[tuple[str, int]]


@dataclass
class VariantTest:
    family: str
    part: str                      # the template's own part label
    labels: list[str]
    groups: dict[str, list[float]]   # code → scores (marks / max)
    f: float | None
    p: float | None

    @property
    def flagged(self) -> bool:
        return self.p is not None and self.p < ALPHA


@dataclass
class Analysis:
    students: list[StudentRow]
    items: list[ItemRow]
    variants: list[VariantTest]
    mistakes: list[tuple[str, str, int]] = field(default_factory=list)   # name, why, count
    pending: int = 0                 # responses waiting for a grader's marks


def analyse(graded: list[Any], key: Any) -> Analysis:
    students: dict[str, StudentRow] = {}
    for g in graded:
        row = students.setdefault(g.student, StudentRow(g.student, g.code, 0.0, 0.0, {}))
        row.total += g.marks
        row.max += g.key.marks
        row.by_label[g.key.label] = row.by_label.get(g.key.label, 0.0) + g.marks
    labels = list(dict.fromkeys(g.key.label for g in sorted(graded, key=lambda g: _label_order(g.key.label))))
    items = [_item(label, [g for g in graded if g.key.label == label], students) for label in labels]
    why: dict[str, str] = {}
    counts: Counter = Counter()
    for g in graded:
        if g.verdict.verdict == "mistake":
            counts[g.verdict.mistake] += 1
            why[g.verdict.mistake] = g.verdict.detail
    return Analysis(list(students.values()), items, variant_tests(graded),
                    [(name, why[name], n) for name, n in counts.most_common()],
                    sum(1 for g in graded if g.verdict.marks is None))


def _label_order(label: str) -> tuple:
    digits = "".join(c for c in label if c.isdigit())
    return (int(digits) if digits else 0, label)


def _item(label: str, rows: list[Any], students: dict[str, StudentRow]) -> ItemRow:
    scores = [g.marks for g in rows]
    rest = [students[g.student].total - g.marks for g in rows]
    maxima = [g.key.marks for g in rows]
    facility = sum(s / m for s, m in zip(scores, maxima) if m) / len(rows) if rows else 0.0
    verdicts = Counter(g.verdict.verdict for g in rows)
    mistakes = Counter(g.verdict.mistake for g in rows if g.verdict.verdict == "mistake")
    return ItemRow(label, sorted({g.key.family for g in rows}), max(maxima) if maxima else 0.0, len(rows), facility,
                   correlation(scores, rest), {v: verdicts[v] / len(rows) for v in VERDICTS},
                   mistakes.most_common(3))


def correlation(x: list[float], y: list[float]) -> float | None:
    """Pearson's r (the point-biserial correlation where x is right/wrong); None without spread."""
    n = len(x)
    if n < 2:
        return None
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else None


def variant_tests(graded: list[Any]) -> list[VariantTest]:
    """Per family and part asked in more than one variant: its scores by variant, and the ANOVA."""
    by: dict[tuple[str, str], dict[str, list[float]]] = {}
    labels: dict[tuple[str, str], set[str]] = {}
    for g in graded:
        k = (g.key.family, g.key.own)
        by.setdefault(k, {}).setdefault(g.code, []).append(g.marks / g.key.marks if g.key.marks else 0.0)
        labels.setdefault(k, set()).add(g.key.label)
    out = []
    for (family, part), groups in by.items():
        if len(groups) < 2:
            continue
        f, p = anova(list(groups.values()))
        out.append(VariantTest(family, part, sorted(labels[family, part]), groups, f, p))
    return out


def anova(groups: list[list[float]]) -> tuple[float | None, float | None]:
    """One-way ANOVA: F and its p-value; (None, None) where it is not defined (one group, no
    spread within the groups, fewer scores than groups + 1)."""
    groups = [g for g in groups if g]
    k, n = len(groups), sum(len(g) for g in groups)
    if k < 2 or n <= k:
        return None, None
    grand = sum(sum(g) for g in groups) / n
    between = sum(len(g) * (sum(g) / len(g) - grand) ** 2 for g in groups)
    within = sum((x - sum(g) / len(g)) ** 2 for g in groups for x in g)
    d1, d2 = k - 1, n - k
    if within <= 0:
        return (None, None) if between <= 0 else (math.inf, 0.0)
    f = (between / d1) / (within / d2)
    return f, f_sf(f, d1, d2)


def f_sf(f: float, d1: float, d2: float) -> float:
    """P(F > f) for the F distribution with (d1, d2) degrees of freedom."""
    if f <= 0:
        return 1.0
    return betainc(d2 / 2, d1 / 2, d2 / (d2 + d1 * f))


def betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b) (continued fraction, Lentz's method)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1 - x) / b


def _betacf(a: float, b: float, x: float) -> float:
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1) < eps:
            break
    return h
