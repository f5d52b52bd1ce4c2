"""Shared pieces of the safety tests (issue 12): a small scratch bank and the one-line error check."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from examgen.bank import load_bank
from examgen.cli import app
from examgen.inputs.paths import ROOT

runner = CliRunner()
SHORT = {"title": "t", "topics": ["cnn"], "kind": "short-answer", "source": {"paper": "original", "question": "1"},
         "marks": 1, "question": "Say something.", "answer": "Anything."}
KEPT = ("cnn/conv2d-params.yaml", "cnn/conv2d-by-hand.yaml", "optimisation/momentum-steps.yaml",
        "normalisation/batchnorm-add-code.yaml")


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def one_error_line(result, code: int = 1) -> str:
    """The command failed with exactly one `examgen: error:` line and no traceback."""
    assert result.exit_code == code, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("examgen: error: "), result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, AssertionError)
    return lines[0]


@pytest.fixture
def mini_bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A bank of a few real templates, for hostile files to join; the loader reads it for this test."""
    bank = tmp_path / "bank"
    for name in KEPT:
        (bank / Path(name).parent).mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "bank" / name, bank / name)
    (bank / "exams").mkdir()
    monkeypatch.setenv("EXAMGEN_BANK", str(bank))
    load_bank.cache_clear()
    yield bank
    load_bank.cache_clear()


def write_template(bank: Path, tid: str, **fields: object) -> Path:
    """A short-answer template `tid` with `fields` changed, as a colleague's file would arrive."""
    path = bank / "extra" / f"{tid}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"id": tid, **SHORT, **fields}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    load_bank.cache_clear()
    return path


def write_spec(bank: Path, name: str, text: str) -> Path:
    path = bank / "exams" / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path
