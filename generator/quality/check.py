"""`examgen check`: the quality gate. Every template under many seeds: sampling, variety,
agreement with an independent checker, sanity of answers, rendering, and one batched compile.

Seeds are derived exactly as `examgen solve ID --seed S` derives them, so every failure names
a command that reproduces it.
"""
from __future__ import annotations

import json
import math
import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator, Sequence

from ..bank import Banks, get_template, load_bank
from .balance import Tally
from ..build import Quiet, Reporter
from ..solvers.degenerate import degenerate_problems
from ..inputs.paths import bank_dir
from ..solvers.effort import in_band
from ..errors import ExamgenError
from ..models import Instance, Template
from ..render import plain
from ..sample import MAX_TRIES, fingerprint, instantiate
from .sanity import (agreement_problems, choice_wording_problems, domain_problems, marking_problems, nonfinite,
                     render_problems, response_problems, rule_problems, self_check_problems, unchecked_answers)
from ..seeding import rng_for
from ..solve import make_context
from ..solvers import SolveContext, load_all
from ..solvers.checkers import CHECKERS

DEFAULT_SAMPLES = 200
VARIETY_FLOOR = 10        # fewer distinct instances than this (or half the samples) is flagged
NUMERIC_KINDS = ("numeric", "symbolic")  # where low variety fails; other kinds get a note
NO_CHECKER = "no independent check"
KEPT_FAILURES = 5         # failures kept per template (all are counted)
SLOW_SAMPLING = MAX_TRIES // 10  # an instance needing this many draws is close to the bound


@dataclass
class Failure:
    """One problem, with the seed (or preset) that reproduces it; neither for whole-template problems."""

    template: str
    seed: int | None
    problem: str
    preset: str | None = None

    @property
    def reproduce(self) -> str:
        if self.preset:
            return f"examgen solve {self.template} --preset {self.preset}"
        return f"examgen solve {self.template}" + (f" --seed {self.seed}" if self.seed is not None else "")


@dataclass
class TemplateReport:
    """What the check found for one template over its samples."""

    id: str
    solver: str | None
    samples: int
    drawn: bool = True               # has parameters that are drawn (not only const/presets)
    instances: int = 0               # samples that produced an instance
    distinct: int = 0
    draws: int = 0                   # draws spent in all (Instance.tries summed)
    worst_tries: int = 0
    worst_seed: int | None = None
    checker: bool = False            # an independent checker exists for its solver
    agreed: int = 0                  # instances the checker confirmed
    rendered: int = 0
    presets: int = 0                 # presets (the papers' own values) solved, checked and rendered
    choice_redraws: int = 0          # samples too few distinct mistakes make redraw as multiple choice
    compiled: bool | None = None     # None: not compiled (not asked, or no instance)
    seconds: float = 0.0
    problem_count: int = 0           # every problem found (only the first few are kept)
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    balance: dict[str, dict[str, int]] = field(default_factory=dict)  # categorical answer → counts
    ranges: dict[str, list[float]] = field(default_factory=dict)      # numeric answer → [min, max]
    sample_seconds: list[float] = field(default_factory=list)         # per seed (for --report)
    values: dict[str, list[float]] = field(default_factory=dict)      # numeric answers (for --report)
    strategies: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # part → strategy → score, interval
    effort: list[float] = field(default_factory=list)                 # each sample's hand work (effort.py)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def rejection_rate(self) -> float:
        """The share of draws that validity rules or the solver rejected."""
        return 1 - self.instances / self.draws if self.draws else 0.0

    def fail(self, seed: int | None, problem: str, preset: str | None = None) -> None:
        self.problem_count += 1
        if len(self.failures) < KEPT_FAILURES:
            self.failures.append(Failure(self.id, seed, problem, preset))


@dataclass
class CheckReport:
    """The whole run: one report per template."""

    samples: int
    templates: list[TemplateReport]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.templates)

    @property
    def failures(self) -> list[Failure]:
        return [f for t in self.templates for f in t.failures]

    def to_json(self) -> str:
        return json.dumps(report_record(self), indent=2)


def report_record(report: CheckReport) -> dict[str, Any]:
    """The JSON-ready record of a report, with the derived figures spelled out."""
    templates = []
    for t in report.templates:
        record = asdict(t)
        del record["sample_seconds"], record["values"]
        times = t.sample_seconds or [0.0]
        record.update(sample_ms_mean=round(1000 * sum(times) / len(times), 2), sample_ms_max=round(1000 * max(times), 2))
        record.update(ok=t.ok, rejection_rate=round(t.rejection_rate, 4),
                      failures=[{**asdict(f), "reproduce": f.reproduce} for f in t.failures])
        templates.append(record)
    return {"ok": report.ok, "samples": report.samples, "seconds": round(report.seconds, 2),
            "templates": templates}


HEADERS = ["template", "samples", "distinct", "rejected", "worst draws", "independent check",
           "rendered", "compiled", "status"]


def report_rows(report: CheckReport) -> tuple[list[str], list[list[str]]]:
    """The terminal table: one row per template (rich markup for the status)."""
    rows = []
    for t in report.templates:
        agree = f"{t.agreed}/{t.instances}" if t.checker else ("none" if t.solver else "-")
        compiled = {None: "-", True: "yes", False: "[red]no[/red]"}[t.compiled]
        status = "[green]ok[/green]" if t.ok else f"[red]FAIL ({t.problem_count})[/red]"
        rows.append([t.id, str(t.samples), f"{t.distinct}" + ("" if t.drawn else " (fixed)"),
                     f"{t.rejection_rate:.0%}", f"{t.worst_tries} (seed {t.worst_seed})" if t.instances else "-",
                     agree, f"{t.rendered}/{t.instances}", compiled, status])
    return HEADERS, rows


def failure_lines(report: CheckReport) -> list[str]:
    """One line per kept failure (template, seed, the command that reproduces it), notes, a summary."""
    lines = [f"FAIL {f.template}{_where(f)}: {f.problem}  [{f.reproduce}]" for f in report.failures]
    lines += [f"note {t.id}: {note}" for t in report.templates for note in t.notes
              if note != NO_CHECKER]  # the table's "none" already says that
    checked = len(report.templates)
    failed = sum(not t.ok for t in report.templates)
    summary = (f"checked {checked} templates x {report.samples} seeds in {report.seconds:.1f}s: "
               + (f"{failed} failed" if failed else "all passed"))
    return lines + [summary]


def _where(failure: Failure) -> str:
    if failure.preset:
        return f" preset {failure.preset}"
    return f" seed {failure.seed}" if failure.seed is not None else ""


# --- the run -------------------------------------------------------------------------------------

def check_bank(ids: Sequence[str] = (), samples: int = DEFAULT_SAMPLES, compile_pdf: bool = True,
               reporter: Reporter | None = None, device: str = "cpu", banks: Banks | None = None) -> CheckReport:
    """Check the named templates (all when none are named); compile one sample of each at once."""
    start = time.perf_counter()
    reporter = reporter or Quiet()
    bank = load_bank(banks)
    templates = [get_template(i, bank) for i in ids] if ids else sorted(bank.values(), key=lambda t: t.id)
    ctx = make_context(device)
    reporter.start("Checking", len(templates))
    reports, firsts = [], []
    for template in templates:
        report, first = check_template(template, samples, ctx)
        reports.append(report)
        firsts += [first] if first else []
        reporter.advance()
    if compile_pdf and firsts:
        from .checktex import compile_samples

        reporter.start("Compiling", 1)
        _record_compile(reports, *compile_samples(firsts))
        reporter.advance()
    return CheckReport(samples, reports, time.perf_counter() - start)


def _record_compile(reports: list[TemplateReport], outcome: dict[str, tuple[int, str | None]],
                    layout: dict[str, str]) -> None:
    for report in reports:
        if report.id in layout:
            report.notes.append(layout[report.id])
        if report.id in outcome:
            seed, problem = outcome[report.id]
            report.compiled = problem is None
            if problem:
                report.fail(seed, f"LaTeX: {problem}")


def check_template(template: Template, samples: int, ctx: SolveContext
                   ) -> tuple[TemplateReport, tuple[Instance, int] | None]:
    """Run one template over seeds 0..samples-1; also return one good instance to compile."""
    start = time.perf_counter()
    load_all()
    report = TemplateReport(template.id, template.solver, samples, drawn=has_drawn_params(template),
                            checker=template.solver in CHECKERS)
    seen: set[str] = set()
    first: tuple[Instance, int] | None = None
    tally = Tally()
    clock = time.perf_counter()
    for seed, outcome in sample_seeds(template, samples, ctx):
        report.sample_seconds.append(time.perf_counter() - clock)
        if isinstance(outcome, str):
            report.fail(seed, outcome)
            clock = time.perf_counter()
            continue
        _tally(report, seed, outcome, seen)
        tally.add(outcome)
        problems = instance_problems(outcome, report) + degenerate_problems(outcome)
        problems += choice_problems(outcome, seed, ctx, report, tally)
        for problem in problems:
            report.fail(seed, problem)
        if first is None and not problems:
            first = (outcome, seed)
        clock = time.perf_counter()
    _balance(report, template, tally)
    for problem in marking_problems(template) + self_check_problems(template) + choice_wording_problems(template):
        report.fail(None, problem)
    for preset, problem, fatal in preset_problems(template, ctx):
        report.fail(None, problem, preset) if fatal else report.notes.append(f"preset {preset}: {problem}")
    report.presets = len(template.presets)
    _finish(report, template, ctx, first)
    report.seconds = time.perf_counter() - start
    return report, first


def sample_seeds(template: Template, samples: int, ctx: SolveContext) -> Iterator[tuple[int, Instance | str]]:
    """Each seed's instance, or the text of what went wrong (a user error or a solver crash)."""
    for seed in range(samples):
        try:
            yield seed, instantiate(template, seed_rng(template, seed), ctx)
        except ExamgenError as err:
            yield seed, str(err)
        except Exception as err:  # a solver bug: report it with its seed rather than stop the run
            yield seed, f"solver crashed: {type(err).__name__}: {err}"


def preset_problems(template: Template, ctx: SolveContext) -> list[tuple[str, str, bool]]:
    """(preset, problem, fatal) for each preset: failing to solve or disagreeing is fatal; failing to
    render is not (a paper's values may suit only some parts, and specs then pick those parts)."""
    found = []
    for name in template.presets:
        try:
            inst = instantiate(template, seed_rng(template, 0), ctx, preset=name)
        except ExamgenError as err:
            found.append((name, str(err), True))
            continue
        except Exception as err:  # a solver bug on the paper's own values
            found.append((name, f"solver crashed: {type(err).__name__}: {err}", True))
            continue
        found += [(name, p, True) for p in nonfinite(inst.answers, "answers") + agreement_problems(inst)]
        found += [(name, p, False) for p in render_problems(inst) + degenerate_problems(inst)]
    return found


def seed_rng(template: Template, seed: int) -> "random.Random":  # noqa: F821
    """The generator `examgen solve ID --seed S` uses, so failures reproduce."""
    return rng_for(seed, 1, template.id, 0)


def _balance(report: TemplateReport, template: Template, tally: Tally) -> None:
    """Categorical answers drawn significantly too rarely fail (unless declared), as do options a fixed
    strategy finds significantly above chance + 10 points; numeric ranges are reported."""
    report.balance, report.ranges, report.values = tally.shares(), tally.ranges(), tally.values
    fails, notes = tally.problems(report.instances, template.balance.get("exempt", {}))
    report.strategies = tally.strategies()
    more_fails, more_notes = tally.strategy_problems(report.instances)
    fails, notes = fails + more_fails, notes + more_notes
    for line in fails:
        report.fail(None, line)
    report.notes += notes


def _effort(report: TemplateReport, template: Template) -> None:
    """Every computed family states its median effort, and its samples keep near it (effort.py)."""
    if not report.effort:
        if report.instances and (template.effort is not None or template.solver and _built_in(template)):
            report.fail(None, "its solver reports no effort (Solved.effort, solvers/effort.py)")
        return
    measured = statistics.median(report.effort)
    spread = f"median {measured:g}, range {min(report.effort):g} to {max(report.effort):g}"
    if template.effort is None and not _built_in(template):   # an instructor's own bank: a hint
        report.notes.append(f"effort: not declared (add `effort: {round(measured)}` to keep variants equal work; {spread})")
    elif template.effort is None:
        report.fail(None, f"effort: not declared (add `effort: {round(measured)}`; {spread})")
    elif not in_band(measured, template.effort) or abs(measured - template.effort) > 0.15 * template.effort:
        report.fail(None, f"effort: declared {template.effort:g}, but the samples' {spread}")
    else:
        report.notes.append(f"effort: declared {template.effort:g}; {spread} (within ±25 %)")


def _built_in(template: Template) -> bool:
    """Whether the template is in examgen's own bank (every family there declares its effort)."""
    return template.path.resolve().is_relative_to(bank_dir().resolve())


def _tally(report: TemplateReport, seed: int, instance: Instance, seen: set[str]) -> None:
    report.instances += 1
    if instance.solved.effort is not None:
        report.effort.append(instance.solved.effort)
    report.draws += instance.tries
    if instance.tries > report.worst_tries:
        report.worst_tries, report.worst_seed = instance.tries, seed
    seen.add(fingerprint(instance.params))
    report.distinct = len(seen)


def _finish(report: TemplateReport, template: Template, ctx: SolveContext,
            first: tuple[Instance, int] | None) -> None:
    """Whole-template verdicts: variety, effort, determinism, notes."""
    _effort(report, template)
    if report.drawn and report.instances and report.distinct < variety_floor(report.samples):
        low = f"low variety: only {report.distinct} distinct instances in {report.samples} seeds"
        # numeric answers a student can memorise are a failure; a few wordings of an essay are a choice
        report.fail(None, low) if template.kind in NUMERIC_KINDS else report.notes.append(low)
    if first:
        problem = determinism_problem(template, *first, ctx)
        if problem:
            report.fail(first[1], problem)
    if template.solver and not report.checker:
        report.notes.append(NO_CHECKER)
    missed = unchecked_answers(first[0]) if first else []
    if missed:
        report.notes.append(f"the checker does not verify: {', '.join(missed)}")
    if report.choice_redraws:
        report.notes.append(f"as multiple choice, {report.choice_redraws} of {report.instances} samples "
                            "have too few distinct mistakes, or none to put the answer at the rank drawn, "
                            "and are drawn again")
    if report.worst_tries >= SLOW_SAMPLING:
        report.notes.append(f"seed {report.worst_seed} needed {report.worst_tries} draws "
                            f"(the bound is {MAX_TRIES})")


def variety_floor(samples: int) -> int:
    """How many distinct instances a drawn template must give out of `samples`."""
    return min(VARIETY_FLOOR, math.ceil(samples / 2))


def has_drawn_params(template: Template) -> bool:
    return any(d.get("type") != "const" for d in template.params.values())


def determinism_problem(template: Template, instance: Instance, seed: int, ctx: SolveContext) -> str | None:
    """The same seed must give the same values and answers (what `solve --seed` relies on)."""
    again = instantiate(template, seed_rng(template, seed), ctx)
    if fingerprint(again.params) != fingerprint(instance.params):
        return "not reproducible: the same seed drew different values"
    if fingerprint(plain(again.answers)) != fingerprint(plain(instance.answers)):
        return "not reproducible: the same values gave different answers"
    return None


# --- per-instance checks -------------------------------------------------------------------------

def choice_problems(instance: Instance, seed: int, ctx: SolveContext, report: TemplateReport,
                    tally: Tally) -> list[str]:
    """The template's mistakes run on this instance (as `as: multiple-choice` would ask it); a crash
    fails, an instance they cannot make options for is counted and drawn again as the sampler would
    (`instantiate(as_choice=True)`: accepting this one when its options can be made, else a fresh
    draw, gives exactly the sampler's distribution). Where the correct option lands and what fixed
    strategies score on the options go into the balance."""
    template = instance.template
    if not template.mistakes:
        return []
    from ..solvers import Reject
    from ..solvers.mistakes import mistake_choices

    try:
        rng = rng_for("choices", template.id, seed)  # reproducible, apart from the parameters' stream
        choices = mistake_choices(template, instance.params, instance.solved, ctx, rng)
    except Reject:
        report.choice_redraws += 1
        try:
            asked = instantiate(template, rng_for("choices", template.id, seed), ctx, as_choice=True)
        except ExamgenError as err:
            return [f"as multiple choice: {err}"]
        except Exception as err:  # a mistake solver bug on a redrawn instance
            return [f"mistake crashed: {type(err).__name__}: {err}"]
        choices = {index: asked.choices[index] for index in _choice_parts(template)}
    except Exception as err:  # a mistake solver bug
        return [f"mistake crashed: {type(err).__name__}: {err}"]
    tally.add_positions(template, choices, " as multiple choice")
    tally.add_strategies(template, choices, " as multiple choice")
    return []


def _choice_parts(template: Template) -> list[int]:
    """The indices of the parts the template's mistakes can ask as multiple choice."""
    from ..solvers.mistakes import part_index

    return [part_index(template, label) for label in template.mistakes]


def instance_problems(instance: Instance, report: TemplateReport) -> list[str]:
    """Every problem with one instance: rules, domains, finiteness, agreement, rendering."""
    problems = rule_problems(instance) + domain_problems(instance.template, instance.params)
    problems += nonfinite(instance.solved.answers, "answers") + nonfinite(instance.solved.work, "work")
    disagreements = agreement_problems(instance)
    if report.checker and not disagreements:
        report.agreed += 1
    rendering = render_problems(instance)
    if not rendering:
        report.rendered += 1
    return problems + disagreements + rendering + response_problems(instance)
