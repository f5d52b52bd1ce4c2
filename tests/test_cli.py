"""The command line through typer's CliRunner: JSON shapes, and one clear line for bad input."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from examgen.bank import load_bank
from safety_helpers import one_error_line, run


def test_list_json_has_the_documented_keys() -> None:
    records = json.loads(run("list", "--json").output)
    assert {r["id"] for r in records} >= {"conv2d-params", "self-attention", "cross-entropy"}
    for r in records:
        assert {"id", "title", "topics", "marks", "kind", "source"} <= set(r)


def test_list_filters_by_kind_and_topic() -> None:
    records = json.loads(run("list", "--json", "--topic", "attention").output)
    assert records and all("attention" in r["topics"] for r in records)
    assert json.loads(run("list", "--json", "--kind", "essay-that-does-not-exist").output) == []


def test_list_table() -> None:
    result = run("list")
    assert result.exit_code == 0 and "conv2d-params" in result.output


def test_solve_preset_json() -> None:
    record = json.loads(run("solve", "conv2d-params", "--preset", "oslo-2022-3c", "--json").output)
    assert {"id", "seed", "params", "answers", "question", "solution"} <= set(record)
    assert record["answers"]["total"] == load_bank()["conv2d-params"].presets["oslo-2022-3c"].paper_answers["total"]
    assert "200 input channels" in record["question"]


def test_solve_set_overrides_and_validates() -> None:
    record = json.loads(run("solve", "conv2d-params", "--set", "in_channels=64", "--set", "kernel=5x9", "--json").output)
    assert record["params"]["in_channels"] == 64 and record["params"]["kernel"] == [5, 9]
    line = one_error_line(run("solve", "conv2d-params", "--set", "kernel=big"))
    assert "conv2d-params" in line and "kernel" in line


def test_solve_plain_text() -> None:
    result = run("solve", "maxpool-by-hand", "--seed", "3")
    assert result.exit_code == 0 and "answers" in result.output and "solution" in result.output


@pytest.mark.parametrize("args,fragment", [
    (("solve", "conv2d-parms"), "unknown template id 'conv2d-parms' (did you mean conv2d-params"),
    (("solve", "conv2d-params", "--preset", "nope"), "no preset 'nope'"),
    (("solve", "conv2d-params", "--set", "novalue"), "expected name=value"),
    (("build", "no/such/spec.yaml", "--seed", "1"), "no/such/spec.yaml: exam spec not found"),
])
def test_bad_input_is_one_line(args: tuple[str, ...], fragment: str) -> None:
    assert fragment in one_error_line(run(*args))


def test_cuda_without_gpu_is_a_clear_error() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert "no CUDA device" in one_error_line(run("solve", "self-attention", "--device", "cuda"))


def test_malformed_bank_file_is_one_line(scratch_bank: Path) -> None:
    (scratch_bank / "cnn" / "oops.yaml").write_text("id: oops\ntitle: Oops\n")
    line = one_error_line(run("list"))
    assert "oops.yaml" in line and "topics: missing" in line and "kind: missing" in line


def test_build_through_the_cli(tmp_path: Path, scratch_bank: Path) -> None:
    spec = scratch_bank / "exams" / "small.yaml"
    spec.write_text("title: Small\ncourse: C\nsections:\n  - title: S\n    questions: [cross-entropy]\n")
    result = run("build", str(spec), "--seed", "2", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "small-seed2" / "exam.pdf").exists()


def test_unwritable_output_folder_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    line = one_error_line(run("build", "bank/exams/demo.yaml", "--seed", "1", "--out", str(blocker / "out")))
    assert "--out" in line and "cannot write there" in line


def test_unsatisfiable_rule_is_one_line() -> None:
    line = one_error_line(run("solve", "conv2d-by-hand", "--set", "kernel_rows=2", "--set", "kernel_cols=2",
                              "--set", "kernel=[[0, 0], [0, 0]]"))
    assert "conv2d-by-hand" in line and "kernel_not_trivial" in line


def test_latex_error_is_one_line_and_leaves_no_output(tmp_path: Path, scratch_bank: Path) -> None:
    path = scratch_bank / "cnn" / "conv2d-params.yaml"
    path.write_text(path.read_text().replace("How many trainable", r"$\left( x$ How many trainable"))
    load_bank.cache_clear()
    spec = scratch_bank / "exams" / "bad.yaml"
    spec.write_text("title: Bad\ncourse: C\nsections:\n  - title: S\n    questions: [conv2d-params]\n")
    line = one_error_line(run("build", str(spec), "--seed", "2", "--out", str(tmp_path / "out")))
    assert "question conv2d-params" in line and "Missing \\right. inserted" in line
    assert list((tmp_path / "out").iterdir()) == []
