"""`build()`: the whole pipeline, spec → pick → sample → solve → render → compile → write."""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol

from .bank import Banks, load_bank
from .codes import exam_code, load_code_key
from .compile import Job, compile_all, fed_time_limit, pdflatex, resume, stop_all, tex_tree
from .tex.fmtcache import cached_format
from .tex.document import Page, document_context, page_for
from .errors import LatexError, SpecError
from .write.answer_key import answer_key_json
from .models import ExamSpec, Instance, Pick, Student, Template, Variant, variant_digits, variant_name
from .pick import check_draws, pick_questions
from .tex.feed import Feed
from .tex.names import place_names, write_sheet
from .render import render_document, render_section, stream_document
from .inputs.roster import load_roster, printable_chars
from .sample import fingerprint, instantiate
from .seeding import rng_for
from .solve import make_context
from .solvers import SolveContext
from .spec import load_spec
from .write.split import split_pdf
from .write.publish import staging


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
    jobs: int | None = None          # documents compiled at once; None: all (they are fed while sampling)
    device: str = "cpu"
    as_printed: bool = False
    roster: Path | None = None       # one variant per student (overrides `variants`)
    preamble_format: bool = True     # precompile the shared preamble (fmtcache.cached_format)
    banks: Banks = field(default_factory=Banks)  # --bank folders and --trust-bank-code
    force: bool = False              # replace OUT/<id>-seed<N> even if examgen did not write it
    code_key: Path | None = None     # the course key for exam codes (default: the user's own, codes.py)


@dataclass
class BuildResult:
    folder: Path
    documents: list[Path]
    variants: list[Variant]
    logs: dict[str, str] = field(default_factory=dict)   # each TeX run's log, by .tex name (layout gate)


def build(options: BuildOptions, reporter: Reporter | None = None) -> BuildResult:
    """Build every variant's exam and solutions, and the answer key, into one output folder.

    All variants' exams are one TeX run (all-exams.pdf), all solutions another, the key a third,
    each typeset while the variants are sampled (feed.py); each variant's own PDFs are split
    from them by page range. One variant: exam.pdf and solutions.pdf directly. With a roster,
    students/<id>/exam.pdf for each student."""
    reporter = reporter or Quiet()
    spec = load_spec(options.spec)
    students = load_roster(options.roster) if options.roster else None
    code_key = load_code_key(options.code_key)
    bank = load_bank(options.banks)
    check_draws(spec, bank)     # every draw can be met, before any TeX runs
    ctx = make_context(options.device)
    pdflatex()  # fail before any work if TeX is missing
    count = len(students) if students else options.variants
    bundled = students is not None or count > 1
    final = Path(options.out) / f"{spec.id}-seed{options.seed}"
    outputs: set[Path] = set()   # what is published: nothing a TeX run wrote besides its PDF
    with staging(final, outputs, options.force) as stage, ThreadPoolExecutor(max_workers=3) as background:
        fmt = background.submit(dump_preamble, stage) if options.preamble_format else None
        background.submit(tex_tree)  # kpsewhich, once, before the first run's reads are checked
        sheet = None
        if students:   # names pdflatex cannot set: XeLaTeX, while the format is made and variants sampled
            students = place_names(students, printable_chars())
            sheet = background.submit(write_sheet, stage, students)
        sampled = sample_each(spec, bank, options.seed, count, ctx, reporter, options.as_printed, students,
                              code_key.secret)
        key: list[str] = []
        variants, jobs, documents = compile_while_sampling(
            sampled, Documents(spec, options.seed, count, stage, bundled, options.as_printed),
            lambda: ready(fmt, sheet), options.jobs, reporter, background,
            then=lambda done: key.append(answer_key_json(spec, options.seed, done)))
        # written once every TeX run has ended, so no document can have written over it
        (stage / "answer-key.json").write_text(key[0], encoding="utf-8")
        outputs.update([*documents, *(j.tex for j in jobs), stage / "answer-key.json"])
        logs = read_logs(jobs)  # page ranges, the format and aux files go at publishing (keep_outputs)
    return BuildResult(final, [final / d.relative_to(stage) for d in documents], variants, logs)


def ready(fmt: Future[str | None] | None, sheet: Future[Path | None] | None) -> str | None:
    """What a TeX run waits for before it starts: the names' sheet (its covers show it) and the
    preamble's format, which it is given."""
    if sheet is not None:
        sheet.result()
    return fmt.result() if fmt else None


def dump_preamble(stage: Path) -> str | None:
    """The shared preamble as a precompiled format in the staging folder, from the cache of
    earlier builds when TeX is unchanged (None: load it as usual)."""
    return cached_format(render_document("partials/preamble.tex.j2"), stage)


def compile_documents(jobs: list[Job], fmt: str | None, workers: int | None, reporter: Reporter,
                      split: Callable[[Path], list[Path]] | None = None) -> tuple[list[Job], list[Path]]:
    """Compile every document (with the preamble format when there is one), in parallel. A
    bundle is split on a thread of its own as soon as its run ends, while the cores go on
    compiling. The jobs as run, and every PDF written."""
    jobs = [replace(j, fmt=fmt) for j in jobs] if fmt else jobs
    with ThreadPoolExecutor(max_workers=1) as splitter:
        parts: list[Future[list[Path]]] = []

        def done(job: Job) -> None:
            if split:
                parts.append(splitter.submit(split, job.tex.with_suffix(".pdf")))
            reporter.advance()

        pdfs = compile_all(jobs, workers or len(jobs), done)
        return jobs, pdfs + sorted(path for part in parts for path in part.result())


def compile_while_sampling(sampled: Iterator[Variant], docs: Documents, fmt: Callable[[], str | None],
                           workers: int | None, reporter: Reporter, pool: ThreadPoolExecutor,
                           then: Callable[[list[Variant]], None] = lambda variants: None
                           ) -> tuple[list[Variant], list[Job], list[Path]]:
    """Every document compiles while its variants are sampled: each variant goes to every
    document's feed as soon as it is solved (feed.py); `then` runs once every variant is sampled,
    while TeX finishes. The variants, the jobs as run, the PDFs."""
    variants: list[Variant] = []
    split = split_variants(variants) if docs.bundled else None   # runs once the list is whole
    try:
        feeds, jobs = docs.fed()
    except OSError:   # no named pipes on this file system: sample everything, then compile the files
        variants.extend(sampled)
        jobs = write_sources(docs.spec, docs.seed, [page_for(docs.spec, v) for v in variants], docs.stage,
                             docs.bundled, docs.as_printed)
        then(variants)
        reporter.start("Compiling", len(jobs))
        return (variants, *compile_documents(jobs, fmt(), workers, reporter, split))
    compiling = pool.submit(lambda: compile_documents(jobs, fmt(), workers, reporter, split))
    try:
        for variant in sampled:
            variants.append(variant)
            page = page_for(docs.spec, variant)
            for feed in feeds:
                feed.pages.put(page)
            if compiling.done():
                break   # a document failed already: its error is raised below
        reporter.start("Compiling", len(jobs))
        for feed in feeds:
            feed.pages.close()
        then(variants)   # (after a failure too: the stage is then thrown away)
        ran, documents = compiling.result()
        if len(variants) < docs.count:
            raise LatexError(f"{docs.spec.id}: the documents ended after variant {len(variants)} of "
                             f"{docs.count}: does a question's text end the document (\\end{{document}}, \\stop)?")
    except BaseException as err:
        stop_all()              # no pdflatex waits on a feed that will not come
        for feed in feeds:
            feed.stop()
        stop_all()              # nor one that started meanwhile
        wait([compiling])
        resume()
        cause = _feed_error(feeds)
        if cause is not None and isinstance(err, LatexError):
            raise cause from None   # the LaTeX error is what a broken feed did to its document
        raise
    for feed in feeds:
        feed.finish()
    cause = _feed_error(feeds)
    if cause is not None:
        raise cause
    return variants, ran, documents


def _feed_error(feeds: list[Feed]) -> BaseException | None:
    """The first error a feed met while rendering its document."""
    return next((f.error for f in feeds if f.error), None)


def read_logs(jobs: list[Job]) -> dict[str, str]:
    """Each TeX run's log by .tex name, for the layout gate."""
    return {j.tex.name: j.tex.with_suffix(".log").read_text(encoding="latin-1") for j in jobs}


def variant_folder(variant: Variant, count: int) -> str:
    """Where a variant's own PDFs go: students/<id>/ with a roster, variant-NN/ without (one of
    `count` variants)."""
    return f"students/{variant.student.id}" if variant.student else variant_name(variant.number, count)


BUNDLES = {"all-exams": "exam", "all-solutions": "solutions"}   # bundle → each variant's own PDF


def split_variants(variants: list[Variant]) -> Callable[[Path], list[Path]]:
    """Cut each variant's exam.pdf or solutions.pdf from a bundle by page range (other PDFs: none)."""
    def split(bundle: Path) -> list[Path]:
        name = BUNDLES.get(bundle.stem)
        if name is None:
            return []
        return split_pdf(bundle, {v.number: bundle.parent / variant_folder(v, len(variants)) / f"{name}.pdf"
                                  for v in variants})
    return split


def sample_variants(spec: ExamSpec, bank: dict[str, Template], seed: int, count: int,
                    ctx: SolveContext, reporter: Reporter, as_printed: bool = False,
                    students: list[Student] | None = None, code_key: bytes | None = None) -> list[Variant]:
    """Pick, sample and solve every variant, each question from its own derived generator; with a
    roster, variant k is student k's paper."""
    return list(sample_each(spec, bank, seed, count, ctx, reporter, as_printed, students, code_key))


def sample_each(spec: ExamSpec, bank: dict[str, Template], seed: int, count: int, ctx: SolveContext,
                reporter: Reporter, as_printed: bool = False, students: list[Student] | None = None,
                code_key: bytes | None = None) -> Iterator[Variant]:
    """sample_variants one variant at a time (variant k is student k's with a roster). Codes are
    keyed by `code_key` (default: the user's own course key)."""
    secret = code_key if code_key is not None else load_code_key().secret
    reporter.start("Sampling", count)
    seen: dict[str, set[str]] = {}
    for number in range(1, count + 1):
        picks = pick_questions(spec, bank, seed, number, as_printed)
        instances = [[_instance(p, seed, number, ctx, seen) for p in section] for section in picks]
        variant = Variant(number, instances, code=exam_code(secret, spec.id, seed, number, as_printed),
                          student=students[number - 1] if students else None)
        variant.sections = [render_section(s.title, s.intro, inst, pk)
                            for s, inst, pk in zip(spec.sections, instances, picks)]
        check_total(spec, variant)
        reporter.advance()
        yield variant


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


@dataclass(frozen=True)
class Documents:
    """The three documents of a build: exams, solutions (one source, paper.tex.j2) and the key."""

    spec: ExamSpec
    seed: int
    count: int
    stage: Path
    bundled: bool
    as_printed: bool = False

    def sources(self) -> list[tuple[Path, str, str, dict]]:
        """(.tex path, label, template, context without the variants) of each document."""
        names = ("all-exams", "all-solutions") if self.bundled else ("exam", "solutions")
        common = document_context(self.spec, self.seed)
        papers = [(self.stage / f"{name}.tex", f"{self.spec.id} {name}", "paper.tex.j2",
                   {**common, "solutions": solutions}) for name, solutions in zip(names, (False, True))]
        return papers + [(self.stage / "answer-key.tex", f"{self.spec.id} answer key", "answer-key.tex.j2",
                          {**common, "count": self.count, "digits": partial(variant_digits, count=self.count),
                           "as_printed": self.as_printed})]

    def fed(self) -> tuple[list[Feed], list[Job]]:
        """A feed for each document (its thread renders the variants as they come), and the
        compile job whose first pass reads it."""
        feeds: list[Feed] = []
        jobs = []
        try:
            for tex, label, template, context in self.sources():
                feed = Feed(tex, partial(_stream, template, context))
                feeds.append(feed)
                jobs.append(Job(tex, label, feed=feed.pipe.name, limit_s=fed_time_limit(self.count),
                                starved=lambda pages=feed.pages: pages.waited_s))
        except BaseException:
            for feed in feeds:
                feed.stop()
            raise
        return feeds, jobs


def _stream(template: str, context: dict, variants: Iterable[Page]) -> Iterator[str]:
    return stream_document(template, variants=variants, **context)


def write_sources(spec: ExamSpec, seed: int, pages: list[Page], stage: Path, bundled: bool,
                  as_printed: bool = False) -> list[Job]:
    """Render the exam, solutions and answer-key .tex files whole; return their compile jobs."""
    jobs = []
    for path, label, template, context in Documents(spec, seed, len(pages), stage, bundled, as_printed).sources():
        path.write_text(render_document(template, variants=pages, **context), encoding="utf-8")
        jobs.append(Job(path, label))
    return jobs
