"""The command line: parses options and calls the pipeline; user errors become one line and exit 1."""
from __future__ import annotations

import json
import os
import sys
from functools import wraps
from pathlib import Path
from typing import Any, Callable, Optional

import typer

from .errors import ExamgenError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Generate exam variants from a bank of deep-learning question templates.")


def fail(message: str) -> None:
    typer.echo(f"examgen: error: {message}", err=True)
    raise typer.Exit(code=1)


def user_errors(fn: Callable) -> Callable:
    """Turn ExamgenError into one clear line and a non-zero exit; real bugs keep their traceback."""
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ExamgenError as err:
            fail(str(err))
    return wrapper


@app.command()
@user_errors
def build(
    spec: Optional[Path] = typer.Argument(None, help="Exam spec YAML (default: bank/exams/default.yaml)."),
    seed: int = typer.Option(..., "--seed", help="Exam seed: the same seed gives the same PDFs."),
    variants: int = typer.Option(1, "--variants", min=1, max=999, help="How many variants (one per student)."),
    out: Path = typer.Option(Path("output"), "--out", help="Output folder."),
    jobs: int = typer.Option(os.cpu_count() or 1, "--jobs", min=1, help="Documents compiled in parallel."),
    device: str = typer.Option("cpu", "--device", help="Torch device for solvers: cpu, cuda or auto."),
    as_printed: bool = typer.Option(False, "--as-printed",
                                    help="Use the seed paper's own values where a template has them."),
    roster: Optional[Path] = typer.Option(None, "--roster", help="Students CSV (id,name): one variant each, "
                                          "named on the cover; PDFs in students/<id>/ (overrides --variants)."),
) -> None:
    """Build exam, solutions and answer-key PDFs for SEED into OUT/<exam-id>-seed<SEED>/."""
    from .build import BuildOptions, build as run_build
    from .paths import default_spec
    from .progress import BarReporter

    options = BuildOptions(spec or default_spec(), seed, variants, out, jobs, device, as_printed, roster)
    with BarReporter() as reporter:
        result = run_build(options, reporter)
    typer.echo(f"built {len(result.documents)} PDFs in {result.folder}")


@app.command("list")
@user_errors
def list_templates(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
    kind: Optional[str] = typer.Option(None, "--kind", help="Only this kind (numeric, multiple-choice, ...)."),
    topic: Optional[str] = typer.Option(None, "--topic", help="Only templates with this topic."),
) -> None:
    """List the bank: id, title, topics, marks, kind and source question."""
    from .bank import load_bank

    rows = [t for t in sorted(load_bank().values(), key=lambda t: t.id)
            if (kind is None or t.kind == kind) and (topic is None or topic in t.topics)]
    records = [{"id": t.id, "title": t.title, "topics": list(t.topics), "marks": t.marks, "kind": t.kind,
                "source": str(t.source), "presets": list(t.presets)} for t in rows]
    if as_json:
        typer.echo(json.dumps(records, indent=2))
        return
    from .progress import print_table

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
) -> None:
    """Solve one instance of a template: its values, answers, question and worked solution."""
    from .preview import solve_one

    record = solve_one(template_id, seed, preset, _assignments(assign), device)
    if as_json:
        typer.echo(json.dumps(record, indent=2))
        return
    from .progress import print_solution

    print_solution(record)


@app.command()
@user_errors
def check(
    template_ids: Optional[list[str]] = typer.Argument(None, help="Template ids (default: the whole bank)."),
    samples: int = typer.Option(200, "--samples", min=1, help="Seeds tried per template."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    compile_pdf: bool = typer.Option(True, "--compile/--no-compile", help="Compile one sample of each with pdflatex."),
) -> None:
    """Stress-test templates over many seeds: sampling, variety, independent checks, rendering, LaTeX."""
    from .check import check_bank, failure_lines, report_rows
    from .progress import BarReporter, print_table

    with BarReporter() as reporter:
        report = check_bank(template_ids or (), samples, compile_pdf, reporter)
    if as_json:
        typer.echo(report.to_json())
    else:
        print_table(*report_rows(report))
    for line in failure_lines(report):
        typer.echo(line, err=True)
    if not report.ok:
        raise typer.Exit(code=1)


def _assignments(items: list[str]) -> dict[str, Any]:
    from .domains import parse_cli_value

    out = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            raise ExamgenError(f"--set {item!r}: expected name=value")
        out[name.strip()] = parse_cli_value(value)
    return out


def main() -> None:
    app(prog_name="examgen")


if __name__ == "__main__":
    sys.exit(main())
