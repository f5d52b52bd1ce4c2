"""Exam codes keyed by a course secret (issue 24 item 1): without the key, printed codes say
nothing about the seed; the same key gives the same codes, another key other codes."""
from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import pdf_text
from examgen.bank import load_bank
from examgen.build import Quiet, sample_variants
from examgen.cli import app
from examgen.codes import ALPHABET, exam_code, load_code_key
from examgen.inputs.paths import ROOT
from examgen.solve import make_context
from examgen.spec import load_spec

DEMO = ROOT / "bank" / "exams" / "demo.yaml"
KEY_A, KEY_B = b"a" * 64, b"b" * 64


def _codes(key: bytes, seed: int = 3, count: int = 3, as_printed: bool = False) -> list[str]:
    spec = load_spec(DEMO)
    return [v.code for v in sample_variants(spec, load_bank(), seed, count, make_context("cpu"), Quiet(),
                                            as_printed, code_key=key)]


def test_the_same_key_gives_the_same_codes_another_key_others() -> None:
    assert _codes(KEY_A) == _codes(KEY_A)
    assert not set(_codes(KEY_A)) & set(_codes(KEY_B))


def _unkeyed(spec_id: str, seed: int, variant: int) -> str:
    """The code as examgen printed it before keys (sha256 of what identifies the variant)."""
    digest = hashlib.sha256(f"examgen-code\x1f{spec_id}\x1f{seed}\x1f{variant}".encode()).digest()
    value, chars = int.from_bytes(digest[:8], "big"), []
    for _ in range(6):
        value, digit = divmod(value, len(ALPHABET))
        chars.append(ALPHABET[digit])
    return "".join(chars[:3]) + "-" + "".join(chars[3:])


def test_a_student_with_the_bank_cannot_find_the_seed_from_the_codes() -> None:
    """The attack that worked on unkeyed codes (try every seed until the printed codes match) finds
    nothing without the key: neither the old scheme, nor any guessed key, names the seed."""
    printed = [exam_code(load_code_key().secret, "demo", 3, v) for v in (1, 2, 3)]
    guesses = [b"", b"examgen", b"0" * 64, *(bytes([i]) * 32 for i in range(20))]
    for seed in range(0, 2000):
        assert [_unkeyed("demo", seed, v) for v in (1, 2, 3)] != printed
        for key in guesses[:3] if seed > 50 else guesses:
            assert exam_code(key, "demo", seed, 1) != printed[0] or \
                [exam_code(key, "demo", seed, v) for v in (2, 3)] != printed[1:]
    # and what made the old attack work: there, the seed was one search away
    assert [_unkeyed("demo", s, 1) for s in range(2000)].index(_unkeyed("demo", 3, 1)) == 3


def test_an_as_printed_paper_has_codes_of_its_own() -> None:
    drawn = {exam_code(KEY_A, "fast-cs4045", 1, v) for v in range(1, 50)}
    printed = {exam_code(KEY_A, "fast-cs4045", 1, v, as_printed=True) for v in range(1, 50)}
    assert not drawn & printed


def test_the_first_build_makes_a_private_key_and_says_so_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    runner = CliRunner()
    args = ["export", str(DEMO), "--seed", "1", "--format", "json", "--out", str(tmp_path / "out")]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    key = tmp_path / "config" / "examgen" / "code-key"
    assert "made a course key for exam codes in" in first.output and str(key) in first.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_text().strip()) == 64
    second = runner.invoke(app, [*args, "--force"])
    assert second.exit_code == 0 and "course key" not in second.output
    exported = next((tmp_path / "out").rglob("*.json")).read_text()
    assert exam_code(load_code_key(key).secret, "demo", 1, 1) in exported   # the codes come from that key


def test_a_shared_key_file_gives_the_teams_codes(tmp_path: Path) -> None:
    shared = tmp_path / "team-key"
    shared.write_text("c" * 64 + "\n")
    runner = CliRunner()
    outs = []
    for name in ("one", "two"):
        done = runner.invoke(app, ["build", str(DEMO), "--seed", "5", "--code-key", str(shared),
                                   "--out", str(tmp_path / name)])
        assert done.exit_code == 0, done.output
        outs.append(json.loads((tmp_path / name / "demo-seed5" / "answer-key.json").read_text())["variants"][0]["code"])
    assert outs[0] == outs[1] == exam_code(b"c" * 64, "demo", 5, 1)
    assert outs[0] in pdf_text(tmp_path / "one" / "demo-seed5" / "exam.pdf")


def test_a_short_or_missing_key_file_is_one_line(tmp_path: Path) -> None:
    short = tmp_path / "short"
    short.write_text("tooshort")
    for path, words in ((short, "at least 32 characters"), (tmp_path / "none", "cannot read the course key")):
        done = CliRunner().invoke(app, ["build", str(DEMO), "--seed", "5", "--code-key", str(path),
                                        "--out", str(tmp_path / "o")])
        assert done.exit_code == 1 and words in done.output and len(done.output.strip().splitlines()) == 1, done.output


def test_the_key_of_an_as_printed_build_says_so(tmp_path: Path) -> None:
    spec = ROOT / "bank" / "exams" / "fast-cs4045.yaml"
    done = CliRunner().invoke(app, ["build", str(spec), "--seed", "1", "--as-printed", "--out", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert "(as printed)" in pdf_text(tmp_path / "fast-cs4045-seed1" / "answer-key.pdf")
    code = json.loads((tmp_path / "fast-cs4045-seed1" / "answer-key.json").read_text())["variants"][0]["code"]
    assert code == exam_code(load_code_key().secret, "fast-cs4045", 1, 1, as_printed=True)
    assert os.listdir(tmp_path) == ["fast-cs4045-seed1"]
