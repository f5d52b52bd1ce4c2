"""The command line: parses options and calls the pipeline; user errors become one line and exit 1."""
from __future__ import annotations

import gc
import json
import os
import sys
from functools import wraps
from pathlib import Path
from typing import Any, Callable, Optional

import typer
from typer.core import TyperGroup

from .errors import ExamgenError, Interrupted


class OneLineUsageErrors(TyperGroup):
    """Usage errors (unknown option, bad value, missing argument) print one line and exit 1,
    like every other user error, instead of click's status-2 box."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        try:
            from typer._click import exceptions as click  # typer 0.2x carries its own click
        except ImportError:  # older typer: click itself
            from click import exceptions as click

        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except getattr(click, "NoArgsIsHelpError", ()) as err:
            typer.echo(err.ctx.get_help() if err.ctx else err.format_message())
            sys.exit(0)
        except click.ClickException as err:
            where = f"{err.ctx.command_path}: " if getattr(err, "ctx", None) else ""
            message = " ".join(err.format_message().split())
            typer.echo(f"examgen: error: {where}{message} (see --help)", err=True)
            sys.exit(1)
        except typer.Abort:
            typer.echo("examgen: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(add_completion=False, no_args_is_help=True, cls=OneLineUsageErrors, rich_markup_mode=None,
                  help="Generate exam variants from a bank of deep-learning question templates.")

BANK_OPTION = typer.Option([], "--bank", metavar="DIR", help="Also read templates and specs from this folder (repeatable).")
CODE_KEY_OPTION = typer.Option(None, "--code-key", metavar="FILE", help="Course key for exam codes "
                               "(default: ~/.config/examgen/code-key, made on first use).")
FORCE_OPTION = typer.Option(False, "--force", help="Replace the output folder even if examgen did not write it.")
TRUST_OPTION = typer.Option([], "--trust-bank-code", metavar="DIR",
                            help="Run the solvers.py of this --bank folder (it is code; repeatable).")


def _version(show: bool) -> None:
    if show:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"examgen {version('examgen')}")
        except PackageNotFoundError:
            typer.echo("examgen (not installed)")
        raise typer.Exit()


@app.callback()
def options(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                         help="Print the version and exit.")) -> None:
    """Generate exam variants from a bank of deep-learning question templates."""


def _banks(folders: list[Path], trust: list[Path]) -> "Banks":  # noqa: F821
    from .bank import Banks

    return Banks(tuple(folders), tuple(trust))


def _course_key(path: Optional[Path]) -> Path:
    """The course key's file (codes.py); the first time, made and announced in one line."""
    from .codes import load_code_key

    key = load_code_key(path)
    if key.created:
        typer.echo(f"examgen: made a course key for exam codes in {key.path} (keep it private; share it "
                   "with your course team as --code-key FILE: the same key gives the same codes)", err=True)
    return key.path


def fail(message: str, code: int = 1) -> None:
    message = " | ".join(line.strip() for line in message.splitlines() if line.strip())  # always one line
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")  # odd bytes from argv or a file
    typer.echo(f"examgen: error: {message}", err=True)
    raise typer.Exit(code=code)


def user_errors(fn: Callable) -> Callable:
    """Turn ExamgenError into one clear line and a non-zero exit; real bugs keep their traceback."""
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ExamgenError, Interrupted) as err:
            fail(str(err), getattr(err, "exit_code", 1))
        except KeyboardInterrupt:
            fail("interrupted", 130)
    return wrapper


@app.command()
@user_errors
def build(
    spec: Optional[Path] = typer.Argument(None, help="Exam spec YAML (default: bank/exams/default.yaml)."),
    seed: int = typer.Option(..., "--seed", help="Exam seed: the same seed gives the same PDFs."),
    variants: int = typer.Option(1, "--variants", min=1, max=999, help="How many variants (one per student)."),
    out: Path = typer.Option(Path("output"), "--out", help="Output folder."),
    jobs: Optional[int] = typer.Option(None, "--jobs", min=1, help="Documents compiled at once (default: "
                                       "all three, each typeset while its variants are sampled)."),
    device: str = typer.Option("cpu", "--device", help="Torch device for solvers: cpu, cuda or auto."),
    as_printed: bool = typer.Option(False, "--as-printed",
                                    help="Use the seed paper's own values where a template has them."),
    bank: list[Path] = BANK_OPTION,
    trust: list[Path] = TRUST_OPTION,
    roster: Optional[Path] = typer.Option(None, "--roster", help="Students CSV (id,name): one variant each, "
                                          "named on the cover; PDFs in students/<id>/ (overrides --variants)."),
    force: bool = FORCE_OPTION,
    code_key: Optional[Path] = CODE_KEY_OPTION,
) -> None:
    """Build exam, solutions and answer-key PDFs for SEED into OUT/<exam-id>-seed<SEED>/."""
    from .build import BuildOptions, build as run_build
    from .inputs.paths import default_spec
    from .commands.progress import BarReporter
    from .write.publish import stop_on_signals

    options = BuildOptions(spec or default_spec(), seed, variants, out, jobs, device, as_printed, roster,
                           banks=_banks(bank, trust), force=force, code_key=_course_key(code_key))
    with stop_on_signals(), BarReporter() as reporter:
        result = run_build(options, reporter)
    typer.echo(f"built {len(result.documents)} PDFs in {result.folder}")


@app.command()
@user_errors
def export(
    spec: Optional[Path] = typer.Argument(None, help="Exam spec YAML (default: bank/exams/default.yaml)."),
    seed: int = typer.Option(..., "--seed", help="Exam seed: the same seed gives the same variants as `build`."),
    fmt: str = typer.Option(..., "--format", help="moodle, qti, canvas, amc, csv, json, html or responses."),
    variants: int = typer.Option(1, "--variants", min=1, max=999, help="How many variants."),
    roster: Optional[Path] = typer.Option(None, "--roster", help="CSV of students (id,name): one variant each."),
    out: Path = typer.Option(Path("output"), "--out", help="Output folder."),
    device: str = typer.Option("cpu", "--device", help="Torch device for solvers: cpu, cuda or auto."),
    bank: list[Path] = BANK_OPTION,
    trust: list[Path] = TRUST_OPTION,
    force: bool = FORCE_OPTION,
    code_key: Optional[Path] = CODE_KEY_OPTION,
) -> None:
    """Export the variants for an LMS, a scanner or graders into OUT/<exam-id>-seed<SEED>-<FORMAT>/."""
    from .export.run import ExportOptions, export as run_export
    from .inputs.paths import default_spec
    from .commands.progress import BarReporter
    from .write.publish import stop_on_signals

    options = ExportOptions(spec or default_spec(), seed, fmt, variants, out, roster, device, _banks(bank, trust),
                            force, _course_key(code_key))
    with stop_on_signals(), BarReporter() as reporter:   # SIGTERM removes the staging folder too
        result = run_export(options, reporter)
    typer.echo(f"exported {len(result.files)} file(s) in {result.folder}")


@app.command()
@user_errors
def grade(
    build_dir: Path = typer.Argument(..., help="A build's output folder (with its answer-key.json)."),
    responses: Path = typer.Option(..., "--responses", metavar="FILE.csv",
                                   help="Responses: examgen's CSV (code or student, label, response, marks per "
                                        "row), AMC's CSV export of scores (Exam, A:id, Name, Mark, one column per "
                                        "<family>-<part> question: the scores are taken as the marks) or Moodle's "
                                        "quiz Responses report as CSV (Response N answers the N-th part of the "
                                        "variant named by an 'Exam code' column or by 'ID number' on the roster)."),
    source: Optional[str] = typer.Option(None, "--from", metavar="examgen|amc|moodle",
                                         help="The responses file's format (default: told by its header)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: BUILD_DIR-grades beside it)."),
    device: str = typer.Option("cpu", "--device", help="Torch device for solvers: cpu, cuda or auto."),
    bank: list[Path] = BANK_OPTION,
    trust: list[Path] = TRUST_OPTION,
) -> None:
    """Mark responses against a build's key: grades.csv, students.csv, items.csv, report.html,
    report.pdf and feedback/<student>.pdf (marks per part, the named mistake, the follow-through)."""
    from .grading.run import grade as run_grade

    result = run_grade(build_dir, responses, out, _banks(bank, trust), device, source)
    typer.echo(f"graded {len(result.rows)} response(s); wrote {len(result.files)} file(s) in {result.folder}")


@app.command("list")
@user_errors
def list_templates(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
    kind: Optional[str] = typer.Option(None, "--kind", help="Only this kind (numeric, multiple-choice, ...)."),
    topic: Optional[str] = typer.Option(None, "--topic", help="Only templates with this topic."),
    bank: list[Path] = BANK_OPTION,
    trust: list[Path] = TRUST_OPTION,
) -> None:
    """List the bank: id, title, topics, marks, kind and source question."""
    from .bank import load_bank

    rows = [t for t in sorted(load_bank(_banks(bank, trust)).values(), key=lambda t: t.id)
            if (kind is None or t.kind == kind) and (topic is None or topic in t.topics)]
    records = [{"id": t.id, "title": t.title, "topics": list(t.topics), "marks": t.marks, "kind": t.kind,
                "source": str(t.source), "presets": list(t.presets)} for t in rows]
    if as_json:
        typer.echo(json.dumps(records, indent=2))
        return
    from .commands.progress import print_table

    print_table(["id", "title", "topics", "marks", "kind", "source"],
                [[r["id"], r["title"], ", ".join(r["topics"]), f"{r['marks']:g}", r["kind"], r["source"]]
                 for r in records])


@app.command()
@user_errors
def solve(
    template_id: str = typer.Argument(..., help="Template id (see `examgen list`)."),
    seed: int = typer.Option(0, "--seed", help="Seed for the drawn values."),
    preset: Optional[str] = typer.Option(None, "--preset", help="Use a named preset (a paper's own values)."),
    assign: list[str] = typer.Option([], "--set", help="Fix one parameter: name=value (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    device: str = typer.Option("cpu", "--device", help="Torch device: cpu, cuda or auto."),
    bank: list[Path] = BANK_OPTION,
    trust: list[Path] = TRUST_OPTION,
) -> None:
    """Solve one instance of a template: its values, answers, question and worked solution."""
    from .commands.preview import solve_one

    record = solve_one(template_id, seed, preset, _assignments(assign), device, _banks(bank, trust))
    if as_json:
        typer.echo(json.dumps(record, indent=2))
        return
    from .commands.progress import print_solution

    print_solution(record)


@app.command()
@user_errors
def check(
    template_ids: Optional[list[str]] = typer.Argument(None, help="Template ids (default: the whole bank)."),
    samples: int = typer.Option(200, "--samples", min=1, help="Seeds tried per template."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    compile_pdf: bool = typer.Option(True, "--compile/--no-compile", help="Compile one sample of each with pdflatex."),
    bank: list[Path] = BANK_OPTION,
    trust: list[Path] = TRUST_OPTION,
    report_dir: Optional[Path] = typer.Option(None, "--report", help="Write stress-test plots (PNG) and index.md here."),
) -> None:
    """Stress-test templates over many seeds: sampling, variety, independent checks, rendering, LaTeX."""
    from .quality.check import check_bank, failure_lines, report_rows
    from .commands.progress import BarReporter, print_table

    from .write.publish import stop_on_signals

    with stop_on_signals(), BarReporter() as reporter:  # SIGTERM, too, stops its pdflatex
        report = check_bank(template_ids or (), samples, compile_pdf, reporter, banks=_banks(bank, trust))
    if as_json:
        typer.echo(report.to_json())
    else:
        print_table(*report_rows(report))
    if report_dir is not None:
        from .quality.stressplots import write_report

        typer.echo(f"report: {write_report(report, report_dir)}", err=True)
    for line in failure_lines(report):
        typer.echo(line, err=True)
    if not report.ok:
        raise typer.Exit(code=1)


@app.command()
@user_errors
def init(folder: Path = typer.Argument(..., help="New course folder (must not exist, or be empty).")) -> None:
    """Write a starter course folder: a commented exam spec, a commented numeric template, a README."""
    from .commands.starter import write_starter

    for path in write_starter(folder):
        typer.echo(f"wrote {path}")
    typer.echo(f"build it: examgen build {folder / 'exams' / 'course-exam.yaml'} --bank {folder} --seed 1")


def _assignments(items: list[str]) -> dict[str, Any]:
    from .inputs.domains import parse_cli_value

    out = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            raise ExamgenError(f"--set {item!r}: expected name=value")
        out[name.strip()] = parse_cli_value(value)
    return out


def main() -> None:
    app(prog_name="examgen")


def entry() -> None:
    """The `examgen` command: `main`, then leave at once with its exit status. Everything is
    written and flushed by then; tearing the interpreter down after torch costs half a second
    per build (BENCHMARKS.md), so the process skips it.

    A run makes a few hundred thousand objects at start (sympy's import) and few cycles after, so
    the collector runs less often, as mypy's does. Timed with gc.callbacks, a 200-variant demo
    build collected for 0.19 s (two full collections during that import), now under 0.01 s; peak
    memory is 108 MiB either way."""
    gc.set_threshold(200_000, 30, 30)
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 0 if done.code is None else 1
        if not isinstance(done.code, (int, type(None))):
            print(done.code, file=sys.stderr)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        code = code or 1
    os._exit(code)


if __name__ == "__main__":
    entry()
