"""`pip install .` (not editable) gives an examgen that runs from any folder: the bank and the
LaTeX templates ship inside the wheel and are found through importlib.resources."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from importlib.metadata import version
from pathlib import Path

import pytest

from examgen.inputs.paths import ROOT

from conftest import pdf_text

SPEC = """\
title: One question
sections:
  - title: Only
    questions: [conv2d-params]
"""


def _sh(*cmd: object, cwd: Path | None = None, env: dict | None = None) -> str:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{cmd}: {done.stdout}{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with examgen's wheel; its dependencies come from this one."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"  # a clean copy: an in-tree build/ could carry stale modules into the wheel
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "output", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis"))
    _sh(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", tmp / "dist", source)
    wheel = next((tmp / "dist").glob("examgen-*.whl"))
    env_dir = tmp / "env"
    _sh(sys.executable, "-m", "venv", "--without-pip", env_dir)
    python = env_dir / "bin" / "python"
    site = Path(_sh(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").strip())
    (site / "examgen-test-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _sh(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel)
    return env_dir


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if k not in ("EXAMGEN_BANK", "EXAMGEN_TEMPLATES", "PYTHONPATH", "VIRTUAL_ENV")}


def test_installed_package_carries_its_bank_and_templates(installed: Path, tmp_path: Path) -> None:
    where = _sh(installed / "bin" / "python", "-c",
                "import examgen, examgen.inputs.paths as p; print(examgen.__file__); print(p.bank_dir()); print(p.templates_dir())",
                cwd=tmp_path, env=_clean_env()).split()
    assert all(Path(w).is_relative_to(installed) for w in where), where
    assert (Path(where[1]) / "exams" / "default.yaml").is_file()


@pytest.mark.pdf
def test_installed_examgen_lists_and_builds_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    examgen = installed / "bin" / "examgen"
    assert "conv2d-params" in _sh(examgen, "list", cwd=tmp_path, env=_clean_env())
    assert _sh(examgen, "--version", cwd=tmp_path, env=_clean_env()).strip() == f"examgen {version('examgen')}"
    (tmp_path / "one.yaml").write_text(SPEC)
    _sh(examgen, "build", "one.yaml", "--seed", "1", "--out", "out", cwd=tmp_path, env=_clean_env())
    text = pdf_text(tmp_path / "out" / "one-seed1" / "exam.pdf")
    assert "One question" in text and "convolution layer" in text
