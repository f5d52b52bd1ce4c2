"""Terminal output: a progress bar for builds, tables and solution listings (rich)."""
from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


class BarReporter:
    """A progress bar on stderr, one task per stage; silent when stderr is not a terminal."""

    def __init__(self) -> None:
        self._console = Console(stderr=True)
        self._progress = Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), console=self._console, transient=False,
                                  disable=not sys.stderr.isatty())
        self._task: Any = None

    def __enter__(self) -> "BarReporter":
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def start(self, stage: str, total: int) -> None:
        self._task = self._progress.add_task(stage, total=total)

    def advance(self) -> None:
        self._progress.advance(self._task)


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    table = Table(*headers, show_lines=False)
    for row in rows:
        table.add_row(*row)
    Console(width=160).print(table)


def print_solution(record: dict[str, Any]) -> None:
    console = Console(highlight=False)
    console.print(f"[bold]{record['id']}[/bold]  seed {record['seed']}"
                  + (f"  preset {record['preset']}" if record.get("preset") else "")
                  + f"  ({record['source']})")
    for title in ("params", "answers"):
        console.print(f"\n[bold]{title}[/bold]")
        for key, value in record[title].items():
            console.print(f"  {key} = {value}", soft_wrap=True, markup=False)
    for title in ("question", "solution", "answer"):
        console.print(f"\n[bold]{title}[/bold]")
        console.print(record[title], soft_wrap=True, markup=False)
    if record.get("paper"):
        console.print(f"\n[bold]paper prints[/bold] {record['paper']['printed']}"
                      + (f"\n[bold]erratum[/bold] {record['paper']['erratum']}" if record['paper']['erratum'] else ""))
