"""The compile stage: pdflatex in a private folder, no shell escape, file access kept to that folder."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .errors import LatexError, SetupError

MAX_PASSES = 3
TIMEOUT_S = 120


@dataclass(frozen=True)
class Job:
    """One document to compile: `tex` inside its own build folder, `label` for messages."""

    tex: Path
    label: str
    labels: bool = False          # prints its own page references: a draft pass writes them first
    fmt: str | None = None        # a precompiled preamble (examgen.fmt beside the .tex), see make_format


def pdflatex() -> str:
    """Path of pdflatex, or a clear error telling how to install it."""
    found = shutil.which("pdflatex")
    if not found:
        raise SetupError("pdflatex not found: run `make setup` (installs TeX Live from Debian's packages)")
    return found


def _env(folder: Path) -> dict[str, str]:
    """Paranoid kpathsea settings and a fixed date, so output is confined and byte-reproducible."""
    env = dict(os.environ)
    env.update({"openout_any": "p", "openin_any": "p", "TEXMFOUTPUT": str(folder),
                "shell_escape": "f", "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"})
    return env


def log_excerpt(log: str, lines: int = 6) -> str:
    """The error lines of a LaTeX log: the '!' line, its context and the l.<n> line."""
    text = log.splitlines()
    for i, line in enumerate(text):
        if line.startswith("!") or re.match(r"^\S+\.tex:\d+: ", line):
            return " | ".join(s.strip() for s in text[i:i + lines] if s.strip())
    return " | ".join(s.strip() for s in text[-lines:] if s.strip())


def error_line(log: str) -> int | None:
    """The .tex line number the log blames (`l.<n>` or `file.tex:<n>:`)."""
    found = re.findall(r"^\S+\.tex:(\d+): ", log, re.M) or re.findall(r"^l\.(\d+)", log, re.M)
    return int(found[-1]) if found else None


def source_lines(tex: Path, log: str, around: int = 1) -> str:
    """The .tex lines the log points at, to quote in the error."""
    n = error_line(log)
    if n is None:
        return ""
    src = tex.read_text(encoding="utf-8").splitlines()
    return " | ".join(f"{i + 1}: {src[i].strip()}" for i in range(max(0, n - 1 - around), min(len(src), n + around)))


def compile_tex(job: Job) -> Path:
    """Compile one .tex to PDF in its folder; raise LatexError on failure.

    One pass, unless the document prints page references: then a first pass in draft mode (no
    PDF written) records them, and a final pass prints them (a third only if they still move)."""
    folder = job.tex.parent
    cmd = [pdflatex(), "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
           "-file-line-error-style", *([f"-fmt={job.fmt}"] if job.fmt else []), job.tex.name]
    if job.labels:
        _pass(job, [*cmd[:-1], "-draftmode", cmd[-1]])
    for _ in range(MAX_PASSES - job.labels):
        log = _pass(job, cmd)
        if "Rerun to get" not in log and "Label(s) may have changed" not in log:
            break
    return job.tex.with_suffix(".pdf")


def _pass(job: Job, cmd: list[str]) -> str:
    """One pdflatex run; its log."""
    folder = job.tex.parent
    try:
        run = subprocess.run(cmd, cwd=folder, env=_env(folder), capture_output=True,
                             timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise LatexError(f"{job.label}: pdflatex ran past {TIMEOUT_S}s on {job.tex}") from None
    log = _read_log(job.tex)
    if run.returncode != 0:
        raise LatexError(_failure(job, log))
    return log


def make_format(preamble: str, folder: Path, name: str = "examgen") -> str | None:
    """Dump the shared preamble into `folder/<name>.fmt` (mylatexformat); None if that fails,
    and the documents then load their preamble as usual."""
    source = folder / f"{name}-preamble.tex"
    source.write_text(preamble + "\\begin{document}\\end{document}\n", encoding="utf-8")
    cmd = [pdflatex(), "-ini", "-no-shell-escape", "-interaction=batchmode", f"-jobname={name}",
           "&pdflatex", "mylatexformat.ltx", source.name]
    try:
        run = subprocess.run(cmd, cwd=folder, env=_env(folder), capture_output=True,
                             timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None
    for leftover in (source, folder / f"{name}.log"):
        leftover.unlink(missing_ok=True)
    return name if run.returncode == 0 and (folder / f"{name}.fmt").exists() else None


def _read_log(tex: Path) -> str:
    path = tex.with_suffix(".log")
    return path.read_text(encoding="latin-1") if path.exists() else ""


def _failure(job: Job, log: str) -> str:
    quoted = source_lines(job.tex, log)
    where_in = culprit(job.tex, log)
    where = f" in {where_in}" if where_in else ""
    return (f"{job.label}: LaTeX error{where}: {log_excerpt(log)}"
            + (f" || source {job.tex.name}: {quoted}" if quoted else ""))


def culprit(tex: Path, log: str) -> str | None:
    """Which question (template id) or spec section holds the failing line, from the .tex markers."""
    n = error_line(log)
    return None if n is None else owner_of_line(tex, n)


def owner_of_line(tex: Path, n: int) -> str | None:
    """Which question (template id) or spec section line `n` of the .tex belongs to."""
    lines = tex.read_text(encoding="utf-8").splitlines()[:n]
    for line in reversed(lines):
        found = re.search(r"% examgen-(template|section): (\S+)", line)
        if found and found.group(1) == "template":
            return f"question {found.group(2)}"
        if found:
            return f"the exam spec's section {found.group(2)} (title or intro)"
    return None


def overfull(log: str, limit_pt: float) -> list[tuple[int, float]]:
    """(line, points) of every box that sticks out of the text block by more than `limit_pt`."""
    found = re.findall(r"^Overfull \\hbox \(([\d.]+)pt too wide\) .*?lines? (\d+)", log, re.M)
    return [(int(line), float(pt)) for pt, line in found if float(pt) > limit_pt]


def compile_all(jobs: list[Job], workers: int, on_done: Callable[[Job], None] | None = None) -> list[Path]:
    """Compile documents in parallel; the first failure is raised after the others stop."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(_one, job, on_done) for job in jobs]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for future in futures:
                future.cancel()  # documents not started yet are not compiled in vain
            raise


def _one(job: Job, on_done: Callable[[Job], None] | None) -> Path:
    pdf = compile_tex(job)
    if on_done:
        on_done(job)
    return pdf
