"""The reference: auto-multiple-choice preparing N copies of benchmarks/amc/demo-amc.tex, the demo
exam written as an AMC source (question sheets, corrected version and layout, `--mode s`)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from measure import Command, Sample, timed

SOURCE = Path(__file__).resolve().parent / "amc" / "demo-amc.tex"
PAGE = re.compile(r"^\\page\{(\d+)/(\d+)/\d+\}", re.M)


def ensure_amc() -> str:
    """Path of auto-multiple-choice, installed from Debian's package when missing."""
    found = shutil.which("auto-multiple-choice")
    if found:
        return found
    print("installing auto-multiple-choice from Debian's package...")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "auto-multiple-choice"],
                   check=True, env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
    return shutil.which("auto-multiple-choice") or "auto-multiple-choice"


def prepare_command(amc: str, folder: Path, copies: int) -> Command:
    """`auto-multiple-choice prepare --mode s` of `copies` copies, everything inside `folder`."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    shutil.copy(SOURCE, folder / SOURCE.name)
    argv = [amc, "prepare", "--mode", "s", "--with", "pdflatex", "--n-copies", str(copies),
            "--prefix", f"{folder}/", "--data", str(folder / "data"),
            "--out-sujet", str(folder / "sujet.pdf"), "--out-corrige", str(folder / "corrige.pdf"),
            "--out-calage", str(folder / "calage.xy"), str(folder / SOURCE.name)]
    return Command(argv, str(folder))


def layout_copies(calage: str) -> tuple[int, int]:
    """(copies, pages) that AMC's layout file records: one `\\page{copy/page/check}` per page."""
    pages = PAGE.findall(calage)
    return len({copy for copy, _ in pages}), len(pages)


def pdf_pages(pdf: Path) -> int:
    """Page count from poppler's pdfinfo (0 when the file is missing or unreadable)."""
    if not pdf.exists():
        return 0
    run = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True)
    found = re.search(r"^Pages:\s+(\d+)", run.stdout, re.M)
    return int(found.group(1)) if found else 0


def verify(folder: Path, copies: int) -> str:
    """Raise unless AMC really made `copies` copies: the layout names them and the PDF holds their pages."""
    calage = folder / "calage.xy"
    n, pages = layout_copies(calage.read_text(encoding="utf-8", errors="replace")) if calage.exists() else (0, 0)
    sujet, corrige = pdf_pages(folder / "sujet.pdf"), pdf_pages(folder / "corrige.pdf")
    if n != copies or sujet != pages or sujet == 0 or corrige == 0:
        raise RuntimeError(f"auto-multiple-choice made {n} copies ({sujet} pages, corrected version "
                           f"{corrige} pages) in {folder}, not {copies}")
    return f"{copies} copies, {sujet} pages (+{corrige} corrected)"


def time_amc(amc: str, folder: Path, copies: int) -> tuple[Sample, str]:
    """Prepare `copies` copies in a fresh `folder`; the measurement and what was checked."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    sample = timed([prepare_command(amc, folder, copies)])
    return sample, verify(folder, copies)
