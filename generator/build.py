"""`build()`: the whole pipeline, spec → pick → sample → solve → render → compile → write."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .bank import Banks, load_bank
from .codes import exam_code
from .compile import Job, compile_all, pdflatex
from .errors import SpecError
from .export.answer_key import write_answer_key
from .models import ExamSpec, Instance, Pick, Template, Variant
from .pick import pick_questions
from .render import render_document, render_section
from .sample import fingerprint, instantiate
from .seeding import rng_for
from .solve import make_context
from .solvers import SolveContext
from .spec import load_spec
from .write import staging


class Reporter(Protocol):
    """Progress feedback: the CLI shows a bar, tests pass nothing."""

    def start(self, stage: str, total: int) -> None: ...
    def advance(self) -> None: ...


class Quiet:
    def start(self, stage: str, total: int) -> None:
        pass

    def advance(self) -> None:
        pass


@dataclass
class BuildOptions:
    spec: Path
    seed: int
    variants: int = 1
    out: Path = Path("output")
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    device: str = "cpu"
    as_printed: bool = False
    banks: Banks = field(default_factory=Banks)  # --bank folders and --trust-bank-code


@dataclass
class BuildResult:
    folder: Path
    documents: list[Path]
    variants: list[Variant]


def build(options: BuildOptions, reporter: Reporter | None = None) -> BuildResult:
    """Build every variant's exam and solutions, and the answer key, into one output folder."""
    reporter = reporter or Quiet()
    spec = load_spec(options.spec)
    bank = load_bank(options.banks)
    ctx = make_context(options.device)
    pdflatex()  # fail before any work if TeX is missing
    variants = sample_variants(spec, bank, options.seed, options.variants, ctx, reporter, options.as_printed)
    final = Path(options.out) / f"{spec.id}-seed{options.seed}"
    with staging(final) as stage:
        jobs = write_sources(spec, options.seed, variants, stage)
        bundles = write_bundles(variants, stage)
        reporter.start("Compiling", len(jobs) + len(bundles))
        compile_all(jobs, options.jobs, lambda _job: reporter.advance())
        compile_all(bundles, options.jobs, lambda _job: reporter.advance())
        write_answer_key(stage / "answer-key.json", spec, options.seed, variants)
        jobs += bundles
    documents = [final / j.tex.relative_to(stage).with_suffix(".pdf") for j in jobs]
    return BuildResult(final, documents, variants)


def sample_variants(spec: ExamSpec, bank: dict[str, Template], seed: int, count: int,
                    ctx: SolveContext, reporter: Reporter, as_printed: bool = False) -> list[Variant]:
    """Pick, sample and solve every variant, each question from its own derived generator."""
    reporter.start("Sampling", count)
    seen: dict[str, set[str]] = {}
    variants = []
    for number in range(1, count + 1):
        picks = pick_questions(spec, bank, seed, number, as_printed)
        instances = [[_instance(p, seed, number, ctx, seen) for p in section] for section in picks]
        variant = Variant(number, instances, code=exam_code(spec.id, seed, number))
        variant.sections = [render_section(s.title, s.intro, inst, pk)
                            for s, inst, pk in zip(spec.sections, instances, picks)]
        check_total(spec, variant)
        variants.append(variant)
        reporter.advance()
    return variants


def check_total(spec: ExamSpec, variant: Variant) -> None:
    """A spec that states its total must add up to it (the seed papers' totals are fixed)."""
    total = sum(s.marks for s in variant.sections)
    if spec.total_marks is not None and abs(total - spec.total_marks) > 1e-9:
        raise SpecError(f"{spec.path}: total_marks: the questions add up to {total:g} "
                        f"{spec.marks_unit}, not {spec.total_marks:g} (variant {variant.number})")


def _instance(pick: Pick, seed: int, variant: int, ctx: SolveContext, seen: dict[str, set[str]]) -> Instance:
    """One question's instance; its generator depends on (seed, variant, template id) only."""
    rng = rng_for(seed, variant, pick.template.id, pick.draw)
    avoid = seen.setdefault(pick.template.id, set())
    instance = instantiate(pick.template, rng, ctx, preset=pick.preset, avoid=avoid, as_choice=pick.as_choice)
    avoid.add(fingerprint(instance.params))
    return instance


def write_sources(spec: ExamSpec, seed: int, variants: list[Variant], stage: Path) -> list[Job]:
    """Render every document's .tex into the staging folder; return the compile jobs."""
    jobs = []
    for v in variants:
        folder = stage if len(variants) == 1 else stage / f"variant-{v.number:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        label = "" if len(variants) == 1 else f"Variant {v.number:02d}"
        for name, solutions in (("exam", False), ("solutions", True)):
            jobs.append(_write(folder / f"{name}.tex", f"{name}.tex.j2", spec, v, seed, label, solutions))
    jobs.append(_write_key(stage / "answer-key.tex", spec, seed, variants))
    return jobs


def write_bundles(variants: list[Variant], stage: Path) -> list[Job]:
    """With several variants, all exams (and all solutions) in one PDF each, ready to print."""
    if len(variants) < 2:
        return []
    jobs = []
    for name, bundle in (("exam", "all-exams"), ("solutions", "all-solutions")):
        files = [f"variant-{v.number:02d}/{name}.pdf" for v in variants]
        path = stage / f"{bundle}.tex"
        path.write_text(render_document("bundle.tex.j2", files=files), encoding="utf-8")
        jobs.append(Job(path, f"all {name}s"))
    return jobs


def _write(path: Path, template: str, spec: ExamSpec, variant: Variant, seed: int,
           label: str, solutions: bool) -> Job:
    total = sum(s.marks for s in variant.sections)
    header = " · ".join(x for x in (label, "Solutions" if solutions else "", f"seed {seed}") if x)
    tex = render_document(template, exam=spec, sections=variant.sections, solutions=solutions,
                          total=total, variant_label=label, header=header, seed=seed,
                          kind_label="Solutions" if solutions else "")
    path.write_text(tex, encoding="utf-8")
    return Job(path, f"{spec.id} {label or ''} {path.stem}".replace("  ", " "))


def _write_key(path: Path, spec: ExamSpec, seed: int, variants: list[Variant]) -> Job:
    tex = render_document("answer-key.tex.j2", exam=spec, variants=variants, seed=seed,
                          header=f"Answer key · seed {seed}")
    path.write_text(tex, encoding="utf-8")
    return Job(path, f"{spec.id} answer key")
