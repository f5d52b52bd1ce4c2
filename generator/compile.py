"""The compile stage: pdflatex in a private folder, no shell escape, file access kept to that folder."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from .errors import LatexError, SetupError

MAX_PASSES = 3
# A fresh build folder has no .aux: text that refers to a label it defines is "undefined" in the
# first pass. The exam class's own labels (its point totals) change in every first pass, unread,
# so "Label(s) may have changed" counts only from the second pass on (a reference that moved).
UNDEFINED = re.compile(r"There were undefined references|Reference `[^']*' on page \d+ undefined")
MOVED = "Label(s) may have changed"
TIMEOUT_BASE_S = 30      # a pdflatex run may take this long, plus a second per 10 kB of source
TIMEOUT_MAX_S = 600
FED_S_PER_VARIANT = 1.5
_RUNNING: dict[subprocess.Popen, Path] = {}   # pdflatex processes now running (and their .tex), to stop
_STOPPING = threading.Event()


@dataclass(frozen=True)
class Job:
    """One document to compile: `tex` inside its own build folder, `label` for messages."""

    tex: Path
    label: str
    fmt: str | None = None        # a precompiled preamble (examgen.fmt beside the .tex), see make_format
    feed: str | None = None       # the first pass reads this pipe instead of the .tex (feed.py)
    limit_s: float | None = None  # the time limit of a run, when the .tex's size cannot give it yet
    starved: Callable[[], float] | None = None   # seconds the fed input kept the run waiting


def pdflatex() -> str:
    """Path of pdflatex, or a clear error telling how to install it."""
    found = shutil.which("pdflatex")
    if not found:
        raise SetupError("pdflatex not found: run `make setup` (installs TeX Live from Debian's packages)")
    return found


def xelatex() -> str:
    """Path of xelatex (it sets the students' names pdflatex cannot, tex/names.py)."""
    found = shutil.which("xelatex")
    if not found:
        raise SetupError("xelatex not found, and the roster has names in scripts pdflatex cannot print: "
                         "run `make setup` (installs XeLaTeX and Debian's Noto fonts)")
    return found


def compile_xelatex(job: Job, pages: list[str]) -> list[Path]:
    """Typeset one generated .tex with XeLaTeX, as confined as pdflatex (the same environment, no
    shell escape, its reads checked), to XDV; then one PDF per page range (`pages`, "1-2"...), each
    made by xdvipdfmx with only the glyphs of its own pages in its fonts: <stem>-1.pdf, ...
    One XeLaTeX pass. Its fonts are named by file (tex/names.py)."""
    _pass(job, [xelatex(), "-no-shell-escape", "-no-parse-first-line", "-interaction=nonstopmode", "-halt-on-error",
                "-file-line-error-style", "-recorder", "-no-pdf", f"-jobname={job.tex.stem}", job.tex.name])
    folder, xdv = job.tex.parent, job.tex.with_suffix(".xdv").name
    outputs = [job.tex.with_name(f"{job.tex.stem}-{n}.pdf") for n in range(1, len(pages) + 1)]

    def convert(pair: tuple[str, Path]) -> None:
        done = subprocess.run([str(Path(xelatex()).with_name("xdvipdfmx")), "-q", "-s", pair[0], "-o", pair[1].name,
                               xdv], cwd=folder, env=_env(folder), stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=TIMEOUT_BASE_S, check=False)
        if done.returncode != 0 or not pair[1].exists():
            raise LatexError(f"{job.label}: xdvipdfmx failed: {(done.stderr or done.stdout).strip()[:200]}")

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(convert, zip(pages, outputs)))
    return outputs


def _env(folder: Path) -> dict[str, str]:
    """A minimal environment: no user variables for kpathsea to expand (`$HOME`, `${VAR}`, `~` and
    `^^24HOME` all lead into the build folder), its per-user trees inside the build folder,
    paranoid file access and a fixed date, so output is confined and byte-reproducible."""
    tex_bin = str(Path(pdflatex()).parent)
    here = str(folder)
    return {"PATH": os.pathsep.join(dict.fromkeys([tex_bin, "/usr/bin", "/bin"])), "LC_ALL": "C",
            "HOME": here, "TEXMFHOME": here, "TEXMFVAR": here, "TEXMFCONFIG": here, "TEXMFOUTPUT": here,
            "openout_any": "p", "openin_any": "p", "shell_escape": "f",
            "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}


@lru_cache(maxsize=1)
def tex_tree() -> tuple[str, ...]:
    """The folders of TeX's own tree (as kpathsea sees them under `_env`), which pdflatex may read."""
    with tempfile.TemporaryDirectory() as scratch:
        env = _env(Path(scratch))
        try:  # both variables in one call (-var-value prints only the last of several)
            found = subprocess.run(["kpsewhich", "-expand-var=$TEXMF:$TEXMFCNF"], env=env, capture_output=True,
                                   text=True).stdout.strip()
        except OSError:  # no kpsewhich beside pdflatex: Debian's usual places
            found = "/usr/share/texlive,/usr/share/texmf,/var/lib/texmf,/etc/texmf,/usr/local/share/texmf"
    roots = re.split(r"[,:{}]", found)
    return tuple(sorted({os.path.realpath(r.lstrip("!")) for r in roots
                         if r.strip("!") and not r.lstrip("!").startswith(scratch) and r.lstrip("!") != "."}))


def reads_outside(tex: Path) -> list[str]:
    """Files pdflatex read (its -recorder list) outside the build folder and TeX's tree."""
    fls = tex.with_suffix(".fls")
    if not fls.exists():
        return []
    folder = os.path.realpath(tex.parent)
    allowed = (folder, *tex_tree())
    outside = []
    for line in fls.read_text(encoding="latin-1").splitlines():
        if line.startswith("INPUT "):
            path = os.path.realpath(os.path.join(folder, line[6:]))
            if not any(path == root or path.startswith(root.rstrip("/") + "/") for root in allowed):
                outside.append(path)
    return outside


def timeout_for(tex: Path) -> float:
    """Proportionate: a page of source gets seconds, not the two minutes a whole bundle may need."""
    return min(TIMEOUT_MAX_S, TIMEOUT_BASE_S + tex.stat().st_size / 10_000)


def fed_time_limit(variants: int) -> float:
    """The limit for a document fed while it is sampled (its size is not known when TeX starts):
    what timeout_for gives a source of that many variants at 15 kB each, the solutions' size."""
    return min(TIMEOUT_MAX_S, TIMEOUT_BASE_S + variants * FED_S_PER_VARIANT)


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

    One pass: examgen's documents print no cross-references (totals are Python's, "Page x of N"
    is filled in by the run itself). Text that brings its own \\label and \\ref gets the rerun
    LaTeX asks for, up to MAX_PASSES. A fed job's first pass reads its pipe; a rerun, the .tex."""
    cmd = [pdflatex(), "-no-shell-escape", "-no-parse-first-line", "-interaction=nonstopmode", "-halt-on-error",
           "-file-line-error-style", "-recorder", *([f"-fmt={job.fmt}"] if job.fmt else []),
           f"-jobname={job.tex.stem}"]
    for number in range(1, MAX_PASSES + 1):
        log = _pass(job, [*cmd, job.feed if job.feed and number == 1 else job.tex.name])
        if not UNDEFINED.search(log) and (number == 1 or MOVED not in log):
            break
    return job.tex.with_suffix(".pdf")


def _pass(job: Job, cmd: list[str]) -> str:
    """One pdflatex run through the one runner; its log. A read outside the build folder fails it."""
    returncode = _run(job, cmd)
    log = _read_log(job.tex)
    outside = reads_outside(job.tex)
    if outside:
        raise LatexError(f"{job.label}: the document tried to read {outside[0]}, outside the build "
                         "folder and TeX's own files; nothing was published")
    if returncode != 0:
        raise LatexError(_failure(job, log))
    return log


def _run(job: Job, cmd: list[str]) -> int:
    """One pdflatex run under the time limit; on timeout it is interrupted so its log names the line."""
    if _STOPPING.is_set():
        raise LatexError(f"{job.label}: not compiled, the build is stopping")
    limit = job.limit_s or timeout_for(job.tex)
    proc = subprocess.Popen(_dies_with_us(cmd), cwd=job.tex.parent, env=_env(job.tex.parent), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    _RUNNING[proc] = job.tex
    try:
        return _wait(proc, limit, job.starved)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)  # TeX stops with "Interruption" and the line it was on
        _wait_or_kill(proc, 3)
        raise LatexError(_timed_out(job, limit)) from None
    finally:
        _RUNNING.pop(proc, None)
        _wait_or_kill(proc, 0)


@lru_cache(maxsize=1)
def _setpriv() -> str | None:
    return shutil.which("setpriv")


def _dies_with_us(cmd: list[str]) -> list[str]:
    """The command, killed by the kernel if examgen dies first (`kill -9`), so no pdflatex is left
    waiting on a feed nobody will write (util-linux's setpriv sets the parent-death signal; the
    thread that starts pdflatex waits for it, so only examgen's end fires it)."""
    setpriv = _setpriv()
    return [setpriv, "--pdeathsig", "KILL", "--", *cmd] if setpriv else cmd


def _wait(proc: subprocess.Popen, limit: float, starved: Callable[[], float] | None) -> int:
    """proc's exit status, once it ends within `limit` seconds of its own: time it spent waiting
    for a fed input that was still being sampled (`starved`) is not counted against it."""
    if starved is None:
        return proc.wait(timeout=limit)
    start = time.monotonic()
    while True:
        left = start + limit + starved() - time.monotonic()
        if left <= 0:
            raise subprocess.TimeoutExpired(proc.args, limit)
        try:
            return proc.wait(timeout=min(left, 1.0))
        except subprocess.TimeoutExpired:
            continue


def _wait_or_kill(proc: subprocess.Popen, grace: float) -> None:
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _timed_out(job: Job, limit: float) -> str:
    log = _read_log(job.tex)
    owner = culprit(job.tex, log)
    where = f" in {owner}" if owner else ""
    return (f"{job.label}: pdflatex still running after {limit:.0f}s{where} (a loop in the LaTeX?); "
            f"stopped it: {log_excerpt(log, 2)}")


def stop_all() -> None:
    """Stop every running pdflatex and let no queued one start (an interrupt is stopping the build)."""
    _STOPPING.set()
    _kill(list(_RUNNING))


def _kill(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def resume() -> None:
    """Compiles may start again (after an interrupted build, in the same process: tests)."""
    _STOPPING.clear()


FORMAT_TIMEOUT_S = 120  # dumping the shared preamble takes about a second


def make_format(preamble: str, folder: Path, name: str = "examgen", record: bool = False) -> str | None:
    """Dump the shared preamble into `folder/<name>.fmt` (mylatexformat); None if that fails,
    and the documents then load their preamble as usual. `record` keeps `<name>.fls`, the list
    of files TeX read (fmtcache keeps the format while they stay unchanged)."""
    source = folder / f"{name}-preamble.tex"
    source.write_text(preamble + "\\begin{document}\\end{document}\n", encoding="utf-8")
    cmd = [pdflatex(), "-ini", "-no-shell-escape", "-interaction=batchmode", f"-jobname={name}",
           *(["-recorder"] if record else []), "&pdflatex", "mylatexformat.ltx", source.name]
    try:
        run = subprocess.run(cmd, cwd=folder, env=_env(folder), capture_output=True,
                             timeout=FORMAT_TIMEOUT_S, stdin=subprocess.DEVNULL)
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
        found = re.search(r"% examgen-(template|section|roster|variant): (\S+)", line)
        if not found:
            continue
        kind, name = found.groups()
        if kind == "variant":
            return None     # the page's own lines after a question: not the question's
        return {"template": f"question {name}", "roster": f"the roster's student {name} (name or id)",
                "section": f"the exam spec's section {name} (title or intro)"}[kind]
    return None


def overfull(log: str, limit_pt: float) -> list[tuple[int, float]]:
    """(line, points) of every box that sticks out of the text block by more than `limit_pt`."""
    found = re.findall(r"^Overfull \\hbox \(([\d.]+)pt too wide\) .*?lines? (\d+)", log, re.M)
    return [(int(line), float(pt)) for pt, line in found if float(pt) > limit_pt]


def compile_all(jobs: list[Job], workers: int, on_done: Callable[[Job], None] | None = None) -> list[Path]:
    """Compile documents in parallel. The first failure is raised as soon as it happens, after
    the others stop: queued ones are not started, running ones are killed (a fed document would
    otherwise wait for variants that the failure has made pointless)."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(_one, job, on_done) for job in jobs]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        failed = next((error for f in done if (error := f.exception()) is not None), None)
        if failed is not None:
            pool.shutdown(wait=False, cancel_futures=True)
            mine = {job.tex for job in jobs}
            _kill([proc for proc, tex in list(_RUNNING.items()) if tex in mine])
            raise failed
        return [f.result() for f in futures]


def _one(job: Job, on_done: Callable[[Job], None] | None) -> Path:
    pdf = compile_tex(job)
    if on_done:
        on_done(job)
    return pdf
