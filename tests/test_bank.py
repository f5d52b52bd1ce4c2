"""Loading the bank: schema validation reports every problem at once, with file and field."""
from __future__ import annotations

from pathlib import Path

import pytest

from examgen.bank import get_template, load_bank
from examgen.errors import BankError, RenderError
from examgen.render import render_text


def test_bank_loads_and_ids_match_file_names() -> None:
    bank = load_bank()
    assert len(bank) >= 6
    for tid, template in bank.items():
        assert template.path.stem == tid and template.marks > 0 and template.source.paper


def write(bank: Path, name: str, text: str) -> Path:
    path = bank / "cnn" / f"{name}.yaml"
    path.write_text(text)
    load_bank.cache_clear()
    return path


def test_malformed_template_lists_every_problem(scratch_bank: Path) -> None:
    write(scratch_bank, "broken", """
id: wrong-name
title: 3
topics: [cnn]
kind: numerical
source: {paper: nowhere, question: 1}
solver: no_such_solver
params:
  n: {type: integer, min: 1}
  m: {type: matrix, rows: k, cols: 2, min: 0, max: 1}
marks: two
question: Q
answer: A
""")
    with pytest.raises(BankError) as err:
        load_bank()
    text = str(err.value)
    assert "broken.yaml" in text
    for fragment in ("id: 'wrong-name' must match the file name 'broken'", "title: expected text",
                     "kind: must be one of", "source.paper: must be one of", "solver: no solver named",
                     "params.n.type: unknown type 'integer'", "params.m.rows: refers to 'k'",
                     "marks: expected a number"):
        assert fragment in text, fragment


def test_yaml_syntax_error_names_file_and_line(scratch_bank: Path) -> None:
    write(scratch_bank, "bad-yaml", "id: bad-yaml\ntitle: [unclosed\n")
    with pytest.raises(BankError, match=r"bad-yaml.yaml: line \d+ not valid YAML"):
        load_bank()


def test_yaml_is_loaded_safely(scratch_bank: Path) -> None:
    write(scratch_bank, "evil", "id: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(BankError, match="evil.yaml"):
        load_bank()


def test_unknown_template_id_suggests_close_ones() -> None:
    with pytest.raises(BankError, match="unknown template id 'conv2d-param'.*conv2d-params"):
        get_template("conv2d-param", load_bank())


def test_templates_render_in_a_sandbox() -> None:
    with pytest.raises(RenderError, match="not allowed|unsafe"):
        render_text("<< ''.__class__.__mro__[1].__subclasses__() >>", {}, "x.yaml question")
    with pytest.raises(RenderError, match="x.yaml question: 'missing' is undefined"):
        render_text("<< missing >>", {}, "x.yaml question")


def test_question_text_cannot_see_answers(scratch_bank: Path) -> None:
    path = scratch_bank / "cnn" / "conv2d-params.yaml"
    path.write_text(path.read_text().replace("How many trainable", "<< total >> How many trainable"))
    load_bank.cache_clear()
    from examgen.commands.preview import solve_one

    with pytest.raises(RenderError, match="conv2d-params.*'total' is undefined"):
        solve_one("conv2d-params", 1, None, {})
