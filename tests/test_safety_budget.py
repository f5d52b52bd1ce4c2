"""Issue 22 (items 2, 3 and 10): bank text is evaluated under a budget of work and memory that is
checked before a value is built. Answer expressions: every node's size is estimated from its
arguments before sympy builds it; expressions may span lines. The Jinja sandbox: `~`, `+`,
replace, indent, join, format, str methods and the rest are sized before they run, and every
string made spends its length from a per-render budget.

Each hostile input runs in a forked child with a time and memory limit, so that a regression
fails here instead of hanging or exhausting the machine."""
from __future__ import annotations

import math
import multiprocessing
import os
import resource
import time
import traceback
from typing import Any, Callable

import pytest
import sympy
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from examgen.errors import RenderError
from examgen.render import render_text
from examgen.solvers import Reject
from examgen.solvers.common import EXPRESSION_FUNCTIONS, check_printed, read_printed
from examgen.solvers.expressions import ExpressionError, evaluate_answers

LIMIT_S = float(os.environ.get("EXAMGEN_BUDGET_LIMIT_S", "30"))  # a child running longer hangs
MEMORY_MB = 1_500     # and may grow its address space by this much
QUICK_S = 5           # a refusal takes milliseconds; this is a generous bound
PARAMS = {"n": 3, "m": 4, "x": 0.3}
BANK = "bank/t.yaml: question"


def guarded(fn: Callable[..., Any], *args: Any, limit_s: float = LIMIT_S) -> tuple[str, Any, float]:
    """fn(*args) in a forked child under a time and memory limit: ("ok", result, seconds),
    ("raised", (type name, message), seconds), or ("hang", None, limit_s)."""
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(writer, fn, args))
    child.start()
    writer.close()
    if not reader.poll(limit_s):
        child.kill()
        child.join()
        return "hang", None, limit_s
    outcome = reader.recv()
    child.join()
    return outcome


def _child(writer: Any, fn: Callable[..., Any], args: tuple) -> None:
    _limit_memory()
    start = time.perf_counter()
    try:
        result: tuple = ("ok", repr(fn(*args))[:300])
    except BaseException as err:  # noqa: BLE001 - reported to the parent as it is
        result = ("raised", (type(err).__name__, str(err)[:300], traceback.format_exc()[-600:]))
    writer.send((*result, time.perf_counter() - start))
    writer.close()
    os._exit(0)


def _limit_memory() -> None:
    """Let this process grow by MEMORY_MB at most (where Linux tells how big it is now)."""
    try:
        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = used + MEMORY_MB * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))


def evaluate(text: str) -> Any:
    return evaluate_answers({"a": text}, PARAMS).answers["a"]


def refused(fn: Callable[..., Any], *args: Any, kind: str, message: str) -> None:
    """fn(*args) raises `kind` with `message` in it, quickly."""
    outcome, detail, seconds = guarded(fn, *args)
    assert outcome == "raised", (outcome, detail)
    assert detail[0] == kind and message in detail[1], detail
    assert seconds < QUICK_S, seconds


# --- answer expressions ----------------------------------------------------------------------

def test_binomial_of_a_huge_number_is_refused_not_computed() -> None:
    refused(evaluate, "binomial(10^300, 10^5)", kind="ExpressionError", message="binomial(")


def test_binomial_of_two_huge_numbers_is_refused_not_computed() -> None:
    refused(evaluate, "binomial(2^1000, 2^999)", kind="ExpressionError", message="binomial(")


def test_floor_of_a_tower_of_exponentials_is_refused_not_computed() -> None:
    refused(evaluate, "floor(exp(exp(exp(5))))", kind="ExpressionError", message="exp or tanh of")


def _power_without_building(text: str) -> list[str]:
    """Evaluate `text`, recording every whole-number power of over 100 000 bits sympy computes."""
    built, original = [], sympy.Integer._eval_power

    def spy(self: Any, expt: Any) -> Any:
        if expt.is_Integer and abs(int(self.p)).bit_length() * abs(int(expt)) > 100_000:
            built.append(f"{str(self)[:10]}... ^ {expt}")
        return original(self, expt)

    sympy.Integer._eval_power = spy
    try:
        evaluate(text)
    except ExpressionError as err:
        return built + [f"refused: {err}"]
    finally:
        sympy.Integer._eval_power = original
    return built


def test_a_power_is_sized_before_it_is_built() -> None:
    """(10^300)^1000 has a million bits: once computed, then refused; now never computed."""
    outcome, detail, _ = guarded(_power_without_building, "(10^300)^1000")
    assert outcome == "ok", detail
    assert detail.startswith("['refused: a: a power of more than"), detail


def test_huge_roots_and_merged_roots_are_refused_before_sympy_factors_them() -> None:
    refused(evaluate, "999^(7 - 3/(1000*2^400))", kind="ExpressionError", message="a root of degree")
    refused(evaluate, "999^(1/997) * 999^(1/991) * 999^(1/983)", kind="ExpressionError", message="a root of degree")


@pytest.mark.parametrize("spread", ["n\n+ m", "n +\n  m", "(n\n +\n m)\n", "n\r\n+ m", "n\t+\x0bm"])
def test_an_expression_over_several_lines_is_read_whole(spread: str) -> None:
    """A newline is whitespace: "n\\n+ m" was read as n (the tokenizer stopped at the newline)."""
    check_printed(spread, ["n", "m"], EXPRESSION_FUNCTIONS)
    assert read_printed(spread, ["n", "m"], EXPRESSION_FUNCTIONS) == sympy.Symbol("n") + sympy.Symbol("m")
    assert evaluate(spread) == evaluate("n + m") == 7


def test_a_yaml_block_scalar_answer_gives_the_one_line_value() -> None:
    block = yaml.safe_load("answers:\n  a: |\n    n * (m\n      + 1)\n    - x\n")["answers"]["a"]
    assert "\n" in block
    assert evaluate_answers({"a": block}, PARAMS).answers == evaluate_answers({"a": "n * (m + 1) - x"}, PARAMS).answers


def test_ordinary_expressions_evaluate_and_print_as_written() -> None:
    """Values as before; Min and Max print in the order written; complex values are refused."""
    solved = evaluate_answers({"t": "Max(n, 3) + Min(m, x)", "u": "floor(log(8)/log(2)) + binomial(n + m, 2)"}, PARAMS)
    assert solved.answers == {"t": sympy.Rational(33, 10), "u": 24}
    assert solved.work["t_formula"] == r"\max\left(\mathit{n}, 3\right) + \min\left(\mathit{m}, \mathit{x}\right)"
    with pytest.raises(ExpressionError, match="not a real number"):
        evaluate("log(-1)")
    with pytest.raises(Reject, match="undefined"):
        evaluate("1/(n - 3)")


# --- the Jinja sandbox -----------------------------------------------------------------------

def render(text: str, context: dict[str, Any] | None = None) -> str:
    return render_text(text, context or {}, BANK)


def refused_render(text: str, message: str, context: dict[str, Any] | None = None) -> None:
    refused(render, text, context, kind="RenderError", message=message)


def test_doubling_a_string_with_tilde_is_refused_before_it_is_built() -> None:
    """27 doublings made 1 GiB in 2.5 s."""
    refused_render("<% set ns = namespace(s='aaaaaaaa') %><% for i in range(27) %><% set ns.s = ns.s ~ ns.s %>"
                   "<% endfor %><< ns.s | length >>", "a value of about 131072 characters")


def test_doubling_a_string_with_plus_is_refused_before_it_is_built() -> None:
    refused_render("<% set ns = namespace(s='aaaaaaaa') %><% for i in range(27) %><% set ns.s = ns.s + ns.s %>"
                   "<% endfor %><< ns.s | length >>", "a value of about 131072 characters")


def test_replace_is_sized_from_its_arguments() -> None:
    """('a' * 99999) | replace('a', 'a' * 99999) was 10 GB before the size check."""
    refused_render("<< ('a' * 99999) | replace('a', 'a' * 99999) | length >>", "a value of about 9999800001")


def test_mapping_center_over_many_items_spends_the_budget() -> None:
    """Each center(99999) is allowed alone; 10000 of them made 1 GB."""
    refused_render("<< (['a'] * 10000) | map('center', 99999) | list | length >>", "characters made (or read) in one render")


def test_indent_of_a_many_line_string_is_sized() -> None:
    refused_render("<< ('x\\n' * 50000) | indent(99999) | length >>", "a value of about 50002")


def test_format_and_percent_are_sized_from_the_format_and_the_values() -> None:
    refused_render("<< ('%s' * 30000) | format(*(['a' * 9999] * 30000)) | length >>", "characters")
    refused_render("<< ('%s' * 50000) % (('a' * 9999,) * 50000) >>", "a value of about")
    refused_render("<< ('{0}' * 30000).format('a' * 9999) | length >>", "a value of about")


def test_join_is_sized_from_its_items_and_separator() -> None:
    refused_render("<< (['a' * 9999] * 9999) | join | length >>", "a value of about")
    refused_render("<< ('a' * 9999).join(['b' * 9999] * 9999) | length >>", "a value of about")


def test_str_methods_that_pad_or_expand_are_sized() -> None:
    refused_render("<< ('\\t' * 99999).expandtabs(99999) | length >>", "a value of about 9999900000")


def test_a_loop_making_many_moderately_large_strings_is_stopped() -> None:
    """Each s ~ s is 100 000 characters, allowed alone; 199 999 of them ran for half an hour."""
    refused_render("<% set s = 'a' * 50000 %><% for i in range(99999) %><% set t = s ~ s %><% endfor %>done",
                   "characters made (or read) in one render")
    refused_render("<% set s = 'x' * 99999 %><% macro m() %><% for i in range(99999) %><< s >><% endfor %>"
                   "<% endmacro %><< m() | length >>", "characters made (or read) in one render")


def test_reading_a_big_list_over_and_over_spends_the_budget() -> None:
    refused_render("<% set big = range(99999) | list %><% for i in range(99999) %><% if i in big %><% endif %>"
                   "<% endfor %>", "characters made (or read) in one render")


def test_printing_a_list_of_many_references_is_sized_before_str_builds_it() -> None:
    refused_render("<% set l = ['a' * 99999] * 99999 %><< l >>", "a value of about")


def test_arithmetic_on_sympy_answers_is_checked_like_an_answer_expression() -> None:
    """An answer in the solution's context is a sympy number: x ** 99999 ** ... never ended."""
    context = {"x": sympy.Rational(3, 2)}
    refused(render, "<< (x ** 999) ** 999 >>", context, kind="RenderError", message="a power of more than")
    refused(render, "<< x.factors() >>", context, kind="RenderError", message="of a sympy number")
    assert render("<< x * 2 >> << x ** 2 >> << x // 1 >> << x % 1 >>", context) == "3 9/4 1 1/2"


def test_ordinary_templates_keep_rendering() -> None:
    text = ("<< 'a' ~ 1 ~ [2] >> << 'ab' | center(6) >> << '{:>3}'.format(7) >> << [1, 2] + [3] >> "
            "<< ['x', 'y'] | join(', ') >> << 'a\nb' | indent(2) >> << '%d/%s' | format(3, 'x') >> "
            "<% for w in ['u', 'v'] %><< w | upper >><% endfor %> << 'x' in 'xy' >> << 'abc'[1:] >>")
    assert render(text) == "a1[2]   ab     7 [1, 2, 3] x, y a\n  b 3/x UV True bc"


def test_the_budget_of_characters_made_bounds_bank_text_not_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bank text gets MAX_MADE (cut to 1000 here); a document gets no limit on it, as it gets no
    step limit (a 200-variant paper is 50 MB), while bank text rendered during it keeps its own."""
    from examgen.render import stream_document
    from examgen.safety import sandbox

    monkeypatch.setattr(sandbox, "MAX_MADE", 1000)
    looped = "<% for i in range(30) %><< 'y' * 50 ~ i >><% endfor %>"
    with pytest.raises(RenderError, match="characters made"):
        render(looped)
    pieces = stream_document("partials/marking.tex.j2", points=[{"points": 1, "text": "t" * 50}] * 300)
    document = next(pieces)
    assert render("<< 'y' * 50 >>") == "y" * 50
    with pytest.raises(RenderError, match="characters made"):
        render(looped)
    document += "".join(pieces)
    assert len(document) > 15_000 and document.count("t" * 50) == 300


def _fold_inside_a_document() -> str:
    from examgen.render import stream_document

    pieces = stream_document("partials/marking.tex.j2", points=[{"points": 1, "text": "t"}] * 3)
    next(pieces)
    literal = "<< '" + "a" * 20_000 + "' | replace('a', '" + "b" * 20_000 + "') | length >>"
    try:
        return render(literal)
    finally:
        pieces.close()


def test_constants_folded_while_compiling_are_sized_even_inside_a_document() -> None:
    """Jinja runs filters on constants as it compiles; bank text compiled while a document streams
    (no budget there) built this 400-million-character string before the size check."""
    refused(_fold_inside_a_document, kind="RenderError", message="a value of about 400000000")


# --- properties ------------------------------------------------------------------------------

PROPERTY = settings(max_examples=int(os.environ.get("EXAMGEN_BUDGET_EXAMPLES", "40")), deadline=60_000,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
NUMBERS = st.sampled_from(["0", "1", "2", "3", "7", "0.5", "0.001", "999", "1000", "257", "10^300", "2^999",
                           "(2^999 - 1)", "(10^299 + 7)", "3^1000", "123456789012345678901234567890", "n", "m", "x"])
ARITY = {"binomial": 2, "Min": 3, "Max": 2, "log": 2}


def _expressions() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "^"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
        call = st.sampled_from(EXPRESSION_FUNCTIONS).flatmap(
            lambda f: st.lists(inner, min_size=1, max_size=ARITY.get(f, 1)).map(lambda a: f"{f}({', '.join(a)})"))
        return st.one_of(binary, call, inner.map(lambda e: f"-{e}"))
    return st.recursive(NUMBERS, extend, max_leaves=12).filter(lambda text: len(text) <= 400)


def _evaluate_or_refuse(text: str) -> str:
    try:
        evaluate(text)
        return "ok"
    except (ValueError, Reject):  # ExpressionError, a refused parse, or undefined: draw again
        return "refused"


@PROPERTY
@given(text=_expressions())
def test_any_whitelisted_expression_ends_in_a_value_or_a_limit_quickly(text: str) -> None:
    outcome, detail, seconds = guarded(_evaluate_or_refuse, text)
    assert outcome == "ok", (text, outcome, detail)
    assert seconds < 10, (text, seconds)


STRINGS = st.sampled_from(["'a'", "'ab\\n'", "'%s'", "'{0}'", "'\\t'", "'x' * 99999", "'y' * 5000", "ns.s", "s", "lst"])
NUMBER_ARGS = st.sampled_from(["1", "3", "999", "50000", "99999"])
FILTERS = st.one_of(
    st.tuples(STRINGS).map(lambda t: f"replace('a', {t[0]})"),
    NUMBER_ARGS.map(lambda n: f"center({n})"),
    NUMBER_ARGS.map(lambda n: f"indent({n})"),
    st.tuples(STRINGS).map(lambda t: f"join({t[0]})"),
    st.tuples(STRINGS).map(lambda t: f"format({t[0]})"),
    NUMBER_ARGS.map(lambda n: f"map('center', {n}) | list"),
    st.just("upper"), st.just("list"), st.just("string"), st.just("length"))


def _jinja() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, inner).map(lambda t: f"({t[0]} ~ {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]} + {t[1]})"),
            st.tuples(inner, NUMBER_ARGS).map(lambda t: f"({t[0]} * {t[1]})"),
            st.tuples(inner, FILTERS).map(lambda t: f"({t[0]} | {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]}).join([{t[1]}] * 3)"))
    expression = st.recursive(STRINGS, extend, max_leaves=6)
    output = expression.map(lambda e: f"<< {e} >>")
    looped = st.tuples(NUMBER_ARGS, expression).map(
        lambda t: f"<% for i in range({t[0]}) %><% set ns.s = {t[1]} %><% endfor %><< ns.s | length >>")
    buffered = st.tuples(NUMBER_ARGS, expression).map(
        lambda t: f"<% set t %><% for i in range({t[0]}) %><< {t[1]} >><% endfor %><% endset %><< t | length >>")
    return st.one_of(output, looped, buffered).map(lambda body: "<% set ns = namespace(s='ab') %>" + body)


def _render_or_refuse(text: str) -> str:
    try:
        render(text, {"s": "q" * 1000, "lst": ["a"] * 1000})
        return "ok"
    except RenderError:
        return "refused"


@PROPERTY
@given(text=_jinja())
def test_any_string_building_template_ends_in_text_or_a_limit_quickly(text: str) -> None:
    outcome, detail, seconds = guarded(_render_or_refuse, text)
    assert outcome == "ok", (text, outcome, detail)
    assert seconds < 10, (text, seconds)


def test_the_guard_itself_reports_a_hang_and_a_memory_limit() -> None:
    assert guarded(time.sleep, 5, limit_s=0.5)[0] == "hang"
    outcome, detail, _ = guarded(bytearray, 4 * MEMORY_MB * 2**20)
    assert outcome == "raised" and detail[0] == "MemoryError"
    assert math.isfinite(guarded(abs, -1)[2])
