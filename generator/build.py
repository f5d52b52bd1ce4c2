"""`build()`: the whole pipeline, spec → pick → sample → solve → render → compile → write."""
from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

from .bank import Banks, load_bank
from .codes import exam_code
from .compile import Job, compile_all, pdflatex, tex_tree
from .fmtcache import cached_format
from .document import Page, document_context, page_for
from .errors import SpecError
from .export.answer_key import write_answer_key
from .models import ExamSpec, Instance, Pick, Template, Variant
from .pick import pick_questions
from .render import render_document, render_section
from .roster import assign_students, load_roster
from .sample import fingerprint, instantiate
from .seeding import rng_for
from .solve import make_context
from .solvers import SolveContext
from .spec import load_spec
from .split import split_pdf
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
    roster: Path | None = None       # one variant per student (overrides `variants`)
    preamble_format: bool = True     # precompile the shared preamble (fmtcache.cached_format)
    banks: Banks = field(default_factory=Banks)  # --bank folders and --trust-bank-code


@dataclass
class BuildResult:
    folder: Path
    documents: list[Path]
    variants: list[Variant]
    logs: dict[str, str] = field(default_factory=dict)   # each TeX run's log, by .tex name (layout gate)


def build(options: BuildOptions, reporter: Reporter | None = None) -> BuildResult:
    """Build every variant's exam and solutions, and the answer key, into one output folder.

    All variants' exams are one TeX run (all-exams.pdf), all solutions another, the key a third;
    each variant's own PDFs are split from them by page range. One variant: exam.pdf and
    solutions.pdf directly. With a roster, students/<id>/exam.pdf for each student."""
    reporter = reporter or Quiet()
    spec = load_spec(options.spec)
    students = load_roster(options.roster) if options.roster else None
    bank = load_bank(options.banks)
    ctx = make_context(options.device)
    pdflatex()  # fail before any work if TeX is missing
    count = len(students) if students else options.variants
    bundled = students is not None or count > 1
    final = Path(options.out) / f"{spec.id}-seed{options.seed}"
    with staging(final) as stage, ThreadPoolExecutor(max_workers=1) as background:
        fmt = background.submit(dump_preamble, stage) if options.preamble_format else None
        background.submit(tex_tree)  # kpsewhich, once, before the first run's reads are checked
        variants = sample_variants(spec, bank, options.seed, count, ctx, reporter, options.as_printed)
        assign_students(variants, students)
        jobs = write_sources(spec, options.seed, [page_for(spec, v) for v in variants], stage, bundled)
        split = split_variants(variants) if bundled else None
        jobs, documents = compile_documents(jobs, fmt.result() if fmt else None, options.jobs, reporter, split)
        write_answer_key(stage / "answer-key.json", spec, options.seed, variants)
        logs = read_logs(jobs)  # page ranges, the format and aux files go at publishing (keep_outputs)
    return BuildResult(final, [final / d.relative_to(stage) for d in documents], variants, logs)


def dump_preamble(stage: Path) -> str | None:
    """The shared preamble as a precompiled format in the staging folder, from the cache of
    earlier builds when TeX is unchanged (None: load it as usual)."""
    return cached_format(render_document("partials/preamble.tex.j2"), stage)


def compile_documents(jobs: list[Job], fmt: str | None, workers: int, reporter: Reporter,
                      split: Callable[[Path], list[Path]] | None = None) -> tuple[list[Job], list[Path]]:
    """Compile every document (with the preamble format when there is one), in parallel. A
    bundle is split on a thread of its own as soon as its run ends, while the cores go on
    compiling. The jobs as run, and every PDF written."""
    jobs = [Job(j.tex, j.label, fmt) for j in jobs] if fmt else jobs
    reporter.start("Compiling", len(jobs))
    with ThreadPoolExecutor(max_workers=1) as splitter:
        parts: list[Future[list[Path]]] = []

        def done(job: Job) -> None:
            if split:
                parts.append(splitter.submit(split, job.tex.with_suffix(".pdf")))
            reporter.advance()

        pdfs = compile_all(jobs, workers, done)
        return jobs, pdfs + sorted(path for part in parts for path in part.result())


def read_logs(jobs: list[Job]) -> dict[str, str]:
    """Each TeX run's log by .tex name, for the layout gate."""
    return {j.tex.name: j.tex.with_suffix(".log").read_text(encoding="latin-1") for j in jobs}


def variant_folder(variant: Variant) -> str:
    """Where a variant's own PDFs go: students/<id>/ with a roster, variant-NN/ without."""
    return f"students/{variant.student.id}" if variant.student else f"variant-{variant.number:02d}"


BUNDLES = {"all-exams": "exam", "all-solutions": "solutions"}   # bundle → each variant's own PDF


def split_variants(variants: list[Variant]) -> Callable[[Path], list[Path]]:
    """Cut each variant's exam.pdf or solutions.pdf from a bundle by page range (other PDFs: none)."""
    def split(bundle: Path) -> list[Path]:
        name = BUNDLES.get(bundle.stem)
        if name is None:
            return []
        return split_pdf(bundle, {v.number: bundle.parent / variant_folder(v) / f"{name}.pdf" for v in variants})
    return split


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
    total = sum(s.marks for s, own in zip(variant.sections, spec.sections) if not own.optional)
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


def write_sources(spec: ExamSpec, seed: int, pages: list[Page], stage: Path, bundled: bool) -> list[Job]:
    """Render the exam, solutions and answer-key .tex files; return their compile jobs."""
    jobs = []
    names = ("all-exams", "all-solutions") if bundled else ("exam", "solutions")
    for name, solutions in zip(names, (False, True)):
        path = stage / f"{name}.tex"
        path.write_text(render_document("paper.tex.j2", solutions=solutions, variants=pages,
                                        **document_context(spec, seed)), encoding="utf-8")
        jobs.append(Job(path, f"{spec.id} {name}"))
    path = stage / "answer-key.tex"
    path.write_text(render_document("answer-key.tex.j2", pages=pages, **document_context(spec, seed)), encoding="utf-8")
    jobs.append(Job(path, f"{spec.id} answer key"))
    return jobs
