"""scripts/install-tex.sh: every LaTeX file examgen loads has a Debian package, and what is
missing (asked through a stub kpsewhich, never by uninstalling) is what it would install."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from examgen.inputs.paths import ROOT

SCRIPT = ROOT / "scripts" / "install-tex.sh"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=60)


def test_every_loaded_latex_file_has_a_debian_package() -> None:
    """Adding a \\usepackage to templates/ or bank/ without a table row fails here, TeX or not."""
    done = run("--list")
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split()[1] for line in done.stdout.splitlines()}
    assert rows["lmodern.sty"] == "lmodern"
    assert rows["pgfplots.sty"] == "texlive-pictures"
    assert rows["pdftotext"] == "poppler-utils"


def test_a_package_without_a_row_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "doc.tex.j2").write_text("\\documentclass{exam}\n\\usepackage[x]{needspace,frobnicate}\n")
    (tmp_path / "q.yaml").write_text('question: "\\\\usetikzlibrary{shapes.geometric,wiggles}"\n')
    done = run("--list", str(tmp_path))
    assert done.returncode == 1
    assert "frobnicate.sty" in done.stderr and "tikzlibrarywiggles.code.tex" in done.stderr
    assert "needspace" not in done.stderr and "exam.cls" not in done.stderr


def _stub_kpsewhich(tmp_path: Path, missing: str) -> str:
    stub = tmp_path / "kpsewhich"
    stub.write_text(f'#!/bin/sh\n[ "$1" = "{missing}" ] && exit 1\necho "/stub/$1"\n')
    stub.chmod(0o755)
    return str(stub)


def test_a_missing_file_installs_its_package(tmp_path: Path) -> None:
    done = run("--dry-run", env={"KPSEWHICH": _stub_kpsewhich(tmp_path, "lmodern.sty")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["apt-get", "install", "-y", "--no-install-recommends", "lmodern"]


def test_missing_pdftotext_installs_poppler(tmp_path: Path) -> None:
    """A PATH with the shell tools the script uses but no poppler and no TeX at all."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "grep", "sed", "sort", "tr", "dirname", "id"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    done = run("--dry-run", env={"PATH": str(bin_dir)})
    assert done.returncode == 0, done.stderr
    packages = set(done.stdout.split()[4:])
    assert {"poppler-utils", "lmodern", "texlive-latex-base", "texlive-pictures"} <= packages


def test_nothing_to_do_on_this_machine() -> None:
    """The test machine has TeX: the script is idempotent and silent there."""
    done = run("--dry-run")
    assert done.returncode == 0 and done.stdout == "", done.stdout
