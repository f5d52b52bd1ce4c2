"""Shared test helpers: read PDFs back with pdftotext, point the loader at a scratch bank."""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

from examgen.bank import load_bank
from examgen.codes import load_code_key
from examgen.inputs.paths import ROOT

# CI explores the same examples every run: a red build then always means a real regression.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# Builds in the tests (and the commands they start) keep their preamble formats here, never in
# the user's cache; the first build dumps the format, later ones reuse it (fmtcache.py).
TEST_CACHE = tempfile.mkdtemp(prefix="examgen-test-cache-")
os.environ["EXAMGEN_CACHE"] = TEST_CACHE
atexit.register(shutil.rmtree, TEST_CACHE, True)
# ... and their course key for exam codes (codes.py) here, never in the user's ~/.config
TEST_CONFIG = tempfile.mkdtemp(prefix="examgen-test-config-")
os.environ["XDG_CONFIG_HOME"] = TEST_CONFIG
atexit.register(shutil.rmtree, TEST_CONFIG, True)
load_code_key()   # made now, so no command's output in a test carries the one-time note


def pdf_text(path: Path) -> str:
    """The text of a PDF as pdftotext lays it out."""
    run = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return run.stdout


@pytest.fixture
def scratch_bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the core bank folders in tmp, used by the loader for this test only."""
    bank = tmp_path / "bank"
    for topic in ("cnn", "losses", "attention", "exams"):
        shutil.copytree(ROOT / "bank" / topic, bank / topic)
    monkeypatch.setenv("EXAMGEN_BANK", str(bank))
    load_bank.cache_clear()
    yield bank
    load_bank.cache_clear()
