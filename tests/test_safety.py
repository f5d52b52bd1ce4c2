"""Issue 12: hostile or broken bank files, specs and options give one clear line, never a traceback or
a hang. (pdflatex and publishing: test_safety_tex.py and test_safety_publish.py; fuzzing: test_fuzz.py.)"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from examgen.bank import load_bank
from examgen.errors import BankError, RenderError
from examgen.render import render_text
from examgen.safety.yamlsafe import MAX_BYTES, read_yaml, yaml_text
from safety_helpers import mini_bank, one_error_line, run, write_spec, write_template  # noqa: F401

ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(9))


# --- the YAML loader -------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    (ALIAS_BOMB, "line 1: anchors and aliases"),
    ("a: 1\nb: 2\na: 3\n", "line 3: duplicate key 'a' (first on line 1)"),
    ("x: [1, {k: 1, k: 2}]\n", "duplicate key 'k'"),
    ("[" * 65 + "]" * 65, "nested more than 64 levels deep"),
    ("[" * 3000 + "]" * 3000, "nested more than 64 levels deep"),   # past libyaml's own cap
    ("x: !!python/object/apply:os.system [echo hi]\n", "not valid YAML"),
    ("a: [1, 2\n", "not valid YAML"),
    ("{[1, 2]: x}\n", "a mapping key must be plain text or a number"),
])
def test_loader_refuses_hostile_yaml_with_file_and_line(text: str, message: str) -> None:
    with pytest.raises(BankError, match=r"^bank/x\.yaml: .*" + message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[")):
        yaml_text(text, "bank/x.yaml")


HANG_S = 30  # hang guards: unbounded work ran for minutes before the limits; speed is for benchmarks/


def test_alias_bomb_is_refused_at_once() -> None:
    start = time.monotonic()
    with pytest.raises(BankError):
        yaml_text(ALIAS_BOMB, "x.yaml")
    assert time.monotonic() - start < HANG_S  # a hang guard, not a speed test (expanding it takes GBs and minutes)


def test_invalid_utf8_and_huge_files_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"id: x\ntitle: caf\xe9\n")
    with pytest.raises(BankError, match=r"bad.yaml: line 2: not valid UTF-8 \(byte 0xe9\)"):
        read_yaml(bad)
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * MAX_BYTES)
    with pytest.raises(BankError, match="big.yaml: larger than"):
        read_yaml(big)


def test_loader_keeps_safe_load_results() -> None:
    assert yaml_text("a: [1, 2.5, .nan, true, null, '<< x >>']\nb: {c: d}\n", "x")["b"] == {"c": "d"}
    assert yaml_text("<<: {a: 1}\nb: 2\n", "x") == {"a": 1, "b": 2}


def test_every_bank_file_loads_under_the_limits() -> None:
    assert len(load_bank()) > 50


# --- bank and spec files through the CLI: one line, exit 1 ----------------------------------

def test_alias_bomb_in_any_bank_file_stops_list_with_one_line(mini_bank: Path) -> None:
    (mini_bank / "extra").mkdir()
    (mini_bank / "extra" / "bomb.yaml").write_text(ALIAS_BOMB, encoding="utf-8")
    start = time.monotonic()
    line = one_error_line(run("list"))
    assert "bomb.yaml: line 1: anchors and aliases" in line and time.monotonic() - start < HANG_S


@pytest.mark.parametrize("fields, message", [
    ({"marks": -2}, r"marks: expected a number of at least 0, got -2"),
    ({"marks": float("nan")}, r"marks: expected a number of at least 0, got nan"),
    ({"question": "Half the marks: 50% of them are lost"}, r"question: line 1: a bare % hides 'of them are lost'"),
    ({"question": "<< 1/0 >>"}, None),
    ({"params": {"n": {"type": "int", "min": 5, "max": 1}}}, r"params\.n: min 5 is above max 1"),
    ({"params": {"n": {"type": "int", "min": 1, "max": 5, "step": 0}}}, r"params\.n\.step: expected a whole number"),
    ({"params": {"n": {"type": "choice", "choices": []}}}, r"params\.n\.choices: expected a non-empty list"),
    ({"params": {"v": {"type": "vector", "size": 1000000000, "min": 0, "max": 1}}},
     r"params\.v\.size: expected a whole number from 1 to 100"),
    ({"params": {"n": {"type": "int", "min": 1, "max": 10**9},
                 "m": {"type": "matrix", "rows": "n", "cols": 2, "min": 0, "max": 1}}},
     r"params\.m\.rows: 'n' must be an int parameter of at most 100"),
    ({"params": {"n": {"type": "float", "min": float("nan"), "max": 1}}}, r"params\.n\.min: expected a finite number"),
    ({"options": [{"text": "a", "correct": True}, {"text": "b", "correct": False}], "draw": 0},
     r"draw: expected at least 1, got 0"),
    ({"options": "a, b"}, r"options: expected a non-empty list of mappings with text and correct"),
    ({"marking": []}, r"marking: expected a non-empty list of mappings with points and text"),
])
def test_bad_template_fields_fail_at_load_with_one_line(mini_bank: Path, fields: dict, message: str | None) -> None:
    path = write_template(mini_bank, "bad", **fields)
    if "options" in fields:  # an MCQ has no `answer`
        path.write_text(path.read_text().replace("answer: Anything.\n", ""), encoding="utf-8")
    result = run("solve", "bad")
    if message is None:  # loads; fails when rendered
        assert "bad.yaml (template bad) parts[0].question: ZeroDivisionError" in one_error_line(result)
        return
    line = one_error_line(result)
    assert "bad.yaml: " in line and re.search(message, line), line


def test_duplicate_keys_in_a_bank_file_are_an_error(mini_bank: Path) -> None:
    path = write_template(mini_bank, "dup")
    path.write_text(path.read_text() + "marks: 3\n", encoding="utf-8")
    line = one_error_line(run("list"))
    assert "dup.yaml: line" in line and "duplicate key 'marks'" in line


def test_template_id_must_be_a_slug(mini_bank: Path) -> None:
    path = mini_bank / "extra" / "a b.yaml"
    path.parent.mkdir()
    path.write_text("id: a b\ntitle: t\ntopics: [x]\nkind: essay\nsource: {paper: original, question: 1}\n"
                    "marks: 1\nquestion: q\nanswer: a\n", encoding="utf-8")
    assert "id: 'a b' must be a plain name" in one_error_line(run("list"))


SPEC_HEAD = "title: T\ncourse: C\n"


@pytest.mark.parametrize("body, message", [
    ("id: /elsewhere/victim\nsections: [{title: S, questions: [conv2d-params]}]\n",
     "id: '/elsewhere/victim' must be a plain name"),
    ("id: ../../escaped\nsections: [{title: S, questions: [conv2d-params]}]\n", "id: '../../escaped' must be a plain name"),
    ("sections: [{title: S, questions: [{template: conv2d-params, draw: -1}]}]\n", "draw: expected at least 1, got -1"),
    ("sections: [{title: S, questions: [{template: conv2d-params, draw: 0}]}]\n", "draw: expected at least 1, got 0"),
    ("sections: [{title: S, questions: [{template: conv2d-params, marks: .nan}]}]\n",
     "marks: expected a number of at least 0, got nan"),
    ("sections: [{title: S, questions: [{template: conv2d-params, marks: -3}]}]\n",
     "marks: expected a number of at least 0, got -3"),
    ("sections: [{title: S, questions: []}]\n", "sections[0].questions: a section needs at least one question"),
    ("sections: [{title: S, questions: [conv2d-params]}]\ntitle: again\n", "duplicate key 'title'"),
    ("sections: &s [{title: S, questions: [conv2d-params]}]\n", "anchors and aliases"),
])
def test_bad_specs_are_one_line_before_any_work(mini_bank: Path, tmp_path: Path, body: str, message: str) -> None:
    spec = write_spec(mini_bank, "bad", SPEC_HEAD + body)
    line = one_error_line(run("build", spec, "--seed", "1", "--out", tmp_path / "out"))
    assert "bad.yaml" in line and message in line, line
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert not Path("/elsewhere").exists()


# --- --set keeps to the declared domain ------------------------------------------------------

@pytest.mark.parametrize("template, value, message", [
    ("conv2d-params", "in_channels=0", "in_channels=0: expected one of"),
    ("conv2d-params", "in_channels=-5", "in_channels=-5: expected one of"),
    ("conv2d-params", "bias=hello", "bias='hello': fixed at True"),
    ("conv2d-params", "bias=1", "bias=1: fixed at True"),
    ("conv2d-params", "kernel=0x3", "sizes must be at least 1"),
    ("conv2d-params", "kernel=10x3", "expected values from 1 to 9"),
    ("momentum-steps", "steps=100000000", "steps=100000000: fixed at 2"),
    ("conv2d-by-hand", "image_rows=1000000000", "image_rows=1000000000: expected values from 3 to 4"),
    ("conv2d-by-hand", "image=[[1, 2], [3, .nan]]", "expected"),
    ("conv2d-by-hand", "kernel=[[1, 0], [0, 5]]", "expected values from -1 to 1"),
    ("batchnorm-add-code", "in_channels=-5", "in_channels=-5: expected one of"),
    ("conv2d-params", "in_channels=[*a]", "in_channels="),
    ("conv2d-params", "in_channels=" + "[" * 100 + "]" * 100, "in_channels="),
])
def test_set_values_outside_the_domain_are_one_line(mini_bank: Path, template: str, value: str, message: str) -> None:
    line = one_error_line(run("solve", template, "--set", value))
    assert f"template {template}: --set: " in line and message in line, line


def test_set_inside_the_domain_still_solves(mini_bank: Path) -> None:
    result = run("solve", "conv2d-params", "--set", "in_channels=3", "--set", "kernel=3x3", "--json")
    assert result.exit_code == 0, result.output


def test_solver_failure_on_odd_values_is_one_line(mini_bank: Path) -> None:
    # a matrix whose rows do not match its declared size reaches the solver only as a clear error
    line = one_error_line(run("solve", "conv2d-by-hand", "--set", "image_rows=3", "--set", "image=[[1, 2, 3]]"))
    assert "conv2d-by-hand" in line


# --- the sandbox: bounded work, one line ------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("<% include 'x' %>", "no template 'x' to include"),
    ("<< 1/0 >>", "ZeroDivisionError"),
    ("<< range(10**9)|list|length >>", "too much work"),
    ("<% for i in range(100000) %><% for j in range(100000) %><% endfor %><% endfor %>", "more than 200000 loop steps"),
    ("<< 'A' * 10**10 >>", "a repeat of 10000000000 items"),
    ("<< [0] * 10**9 >>", "a repeat of"),
    ("<< (10**1000) ** 1000 >>", "a power with too many digits"),
    ("<< 'x' | center(10**10) >>", "argument 10000000000 is too large"),
    ("<< 'x'.ljust(10**9) >>", "is too large"),
    ("<< '%1000000000d' % 3 >>", "a format width"),
    ("<< '{:>1000000000}'.format(3) >>", "a format width"),
    ("<< '%1000000000d' | format(3) >>", "a format width"),
    ("<% macro f(n) %><< f(n) >><% endmacro %><< f(1) >>", "RecursionError"),
    ("<< 10.0 ** 400 >>", "OverflowError"),
    ("<< x.__class__.__mro__ >>", "not allowed in a template"),
    ("<< lipsum(5) >>", "'lipsum' is undefined"),
    ("<% for i in range(3) %><% for j in range(300000) %><< j >><% endfor %><% endfor %>", "too much work"),
])
def test_template_work_is_bounded_and_errors_are_one_line(text: str, message: str) -> None:
    start = time.monotonic()
    with pytest.raises(RenderError, match=r"^bank/t\.yaml question: .*" + re.escape(message)):
        render_text(text, {"x": 1}, "bank/t.yaml question")
    assert time.monotonic() - start < HANG_S


def test_the_sandbox_remembers_attribute_verdicts_per_type_never_across_types() -> None:
    """A name safe on one kind of object is still refused on a generator, a class or code."""
    import types

    from examgen.render import environment

    env = environment()
    record = types.SimpleNamespace(gi_frame=1, mro=2, co_code=3)
    for name in ("gi_frame", "mro", "co_code", "__class__"):
        assert env.is_safe_attribute(record, name, None) == (name != "__class__")  # asked first here
    assert env.is_safe_attribute(record, "gi_frame", None)                         # and remembered
    assert not env.is_safe_attribute((i for i in ()), "gi_frame", None)
    assert not env.is_safe_attribute(str, "mro", None)
    assert not env.is_safe_attribute(test_ordinary_templates_still_render.__code__, "co_code", None)
    assert env.is_safe_attribute("x", "upper", None) and env.is_safe_attribute("y", "upper", None)


def test_ordinary_templates_still_render() -> None:
    text = "<< '%d' | format(5) >> << 'ab' | center(6) >> << 3 * 'ab' >> << 2 ** 10 >> <% for i in range(3) %><< i >><% endfor %>"
    assert render_text(text, {}, "t") == "5   ab   ababab 1024 012"


def test_a_template_that_loops_forever_is_one_line_through_solve(mini_bank: Path) -> None:
    write_template(mini_bank, "loops", question="<% for i in range(99999) %><% for j in range(99999) %>"
                                                 "<% endfor %><% endfor %>")
    line = one_error_line(run("solve", "loops"))
    assert "loops.yaml (template loops) parts[0].question: too much work" in line


def test_a_solver_error_such_as_torchs_is_one_line(mini_bank: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from examgen.solvers import SOLVERS, load_all

    load_all()

    def refuses(params: dict, ctx: object) -> None:
        raise RuntimeError("Given groups=1, weight of size [4, -5, 3, 3], expected input to have -5 channels\nmore")

    monkeypatch.setitem(SOLVERS, load_bank()["conv2d-params"].solver, refuses)
    line = one_error_line(run("solve", "conv2d-params"))
    assert "template conv2d-params: solver conv2d_params failed on these values (RuntimeError: Given groups=1" in line


@pytest.mark.parametrize("template, value, message", [
    ("threshold-rnn-latch", "bits=[1, 0, 1]", "expected a value shaped like '"),  # once an AssertionError traceback
    ("tensor-dimensions", "input=[.nan, 3, 4, 5]", "expected a value shaped like ["),
    ("lr-step-decay", "epochs=1000000000000", "rule lr_epochs_spread failed on these values"),
])
def test_set_values_of_drawn_parameters_are_shaped_like_a_draw(template: str, value: str, message: str) -> None:
    line = one_error_line(run("solve", template, "--set", value))
    assert f"template {template}: " in line and message in line, line


def test_the_loop_budget_bounds_bank_text_not_the_documents_around_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A document's loops grow with the variants (a roster of thousands); only bank text has a budget.
    Here the budget is cut to 50 steps: a bank loop of 60 fails, a paper needing about 100 renders."""
    from examgen.safety import sandbox
    from examgen.bank import load_bank as bank
    from examgen.build import Quiet, sample_variants
    from examgen.tex.document import document_context, page_for
    from examgen.inputs.paths import bank_dir
    from examgen.render import render_document
    from examgen.solve import make_context
    from examgen.spec import load_spec

    spec = load_spec(bank_dir() / "exams" / "default.yaml")
    [variant] = sample_variants(spec, bank(), 7, 1, make_context("cpu"), Quiet())
    monkeypatch.setattr(sandbox, "MAX_STEPS", 50)
    with pytest.raises(RenderError, match="loop steps"):
        render_text("<% for i in range(60) %>x<% endfor %>", {}, "bank/x.yaml: question")
    paper = render_document("paper.tex.j2", solutions=False, variants=[page_for(spec, variant)], **document_context(spec, 7))
    assert paper.rstrip().endswith(r"\end{document}")
