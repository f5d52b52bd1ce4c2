"""Issue 22 (items 7, 8, 15, 19): exports carry no active content to their consumer, and hostile
input (bank file, spec, roster) is a result or one `examgen: error:` line, never a traceback.

Maths is cleaned to a whitelist of MathML and XHTML after conversion; CSV cells a spreadsheet would
run start with a quote; numbers beyond a float are exact text; control characters leave names and
text; QTI identifiers stay unique. Hypothesis runs every format on hostile banks, specs and rosters."""
from __future__ import annotations

import copy
import csv
import io
import itertools
import json
import math
import os
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
import sympy
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree, html as lhtml

from examgen.bank import load_bank
from examgen.errors import ExamgenError, RenderError, SpecError
from examgen.export.amc import _part as amc_part
from examgen.export.csv_key import write_csv
from examgen.export.html import write_html
from examgen.export.items import ExportBuild, ExportVariant, Item, ItemPart, export_build
from examgen.export.json_build import write_json
from examgen.export.latexhtml import Converter
from examgen.export.markup import mathjax, mathml
from examgen.export.qti import CP, QTI, write_qti
from examgen.export.run import FORMATS, writers
from examgen.export.values import Value, confirmed, printed_values, solver_numbers
from examgen.models import Student
from examgen.spec import load_spec

from export_support import DEMO, FULL, sampled, write
from safety_helpers import SHORT, mini_bank, one_error_line, run, write_spec  # noqa: F401

MATHML = "http://www.w3.org/1998/Math/MathML"
MATHML_NAMES = {"math", "mrow", "mi", "mn", "mo", "mtext", "mstyle", "mpadded", "mspace", "msub", "msup", "mfrac"}
SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "schemas" / "qti-2.1"
EVIL = "evil.example"
HOSTILE_MATHS = (rf"$\style{{position:fixed;top:0;left:0;width:100%;height:100%;"
                 rf"background:url(http://{EVIL}/x.png)}}{{x}}$ $\href{{http://{EVIL}}}{{y}}$ "
                 rf"$\class{{evil}}{{z}}$ $\color{{url(http://{EVIL}/c)}}{{w}}$")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SOLVER_NUMBERS = itertools.count(1)   # solvers register globally: one name per course folder
FUZZ_EXAMPLES = os.environ.get("EXAMGEN_EXPORT_FUZZ_EXAMPLES")   # more for a long hunt; modest by default


def _fuzz(examples: int) -> settings:
    return settings(max_examples=int(FUZZ_EXAMPLES or examples), deadline=None, suppress_health_check=list(HealthCheck))


def _part(own: str = "a", question: str = "Say something.", answer: str = "Anything.", kind: str = "open",
          values: tuple[Value, ...] = (), solution: str = "Because.") -> ItemPart:
    return ItemPart(label=f"1{own}", own=own, marks=1.0, kind=kind, question=question, solution=solution,
                    answer=answer, values=values)


def _build(parts: tuple[ItemPart, ...], name: str = "Ada Lovelace", record: dict | None = None) -> ExportBuild:
    """A one-question build made by hand: what a writer gets, without the bank's own checks."""
    item = Item(1, "fam", "A title", "original 1", "Section", "", "", parts, record or {})
    return ExportBuild(load_spec(DEMO), 7, (ExportVariant(1, "ABC-DEF", "s1", name, (item,)),))


def _docs(files: list[Path]) -> list[etree._Element]:
    """Every HTML page and every XML file (inside zips too) the export wrote, parsed."""
    docs = []
    for path in files:
        if path.suffix == ".html":
            docs.append(lhtml.fromstring(path.read_bytes()))
        elif path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                docs += [etree.fromstring(zf.read(n)) for n in zf.namelist() if n.endswith(".xml")]
        elif path.suffix == ".xml":
            docs.append(etree.parse(str(path)).getroot())
    return docs


def _assert_inert(root: etree._Element) -> None:
    """No style, handler, outside link or picture, and no class that is not ours."""
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            assert name != "style" and not name.lower().startswith("on"), (el.tag, name, value)
            if name in ("title", "alt"):
                continue   # text shown as text (a student's name may be anything)
            assert EVIL not in value and "url(" not in value and "javascript:" not in value, (el.tag, name, value)
            if name in ("href", "src"):
                assert ":" not in value or value.startswith("data:image/"), value   # nothing from outside
        if etree.QName(el).namespace == MATHML or etree.QName(el).localname in MATHML_NAMES:
            assert "class" not in el.attrib, el.attrib


@pytest.fixture
def bank(mini_bank: Path) -> Path:  # noqa: F811  (pytest hands in the imported fixture)
    """safety_helpers' scratch bank, which the loader reads for this test."""
    return mini_bank


# Item 7: maths passes through a whitelist of MathML and XHTML.

def test_converted_maths_keeps_no_style_link_class_or_url() -> None:
    out = Converter(mathml, lambda tikz: "")(HOSTILE_MATHS)
    root = etree.fromstring(f"<root>{out}</root>")
    assert len(root.findall(f".//{{{MATHML}}}math")) == 4, out   # the maths stays, only the attributes go
    assert "url(" not in out and EVIL not in out
    _assert_inert(root)


def test_html_and_qti_exports_carry_no_style_from_bank_maths(tmp_path: Path) -> None:
    build = _build((_part(question=HOSTILE_MATHS, answer=HOSTILE_MATHS),))
    files = write(write_html, build, tmp_path / "html") + write(write_qti, build, tmp_path / "qti")
    docs = _docs(files)
    for doc in docs:
        _assert_inert(doc)
    with_maths = [d for d in docs if d.xpath("//*[local-name()='math']")]
    assert len(with_maths) >= 3, "two pages and the item keep their maths"


def test_converter_output_is_whitelisted_whatever_its_callbacks_return() -> None:
    maths = ('<span style="position:fixed" onclick="a()" class="evil">m</span><a href="javascript:b()">l</a>'
             '<script>c()</script><div class="p" onmouseover="e()">d</div>')
    picture = f'<img class="figure" alt="f" src="http://{EVIL}/f.png" onerror="d()"/>'
    out = Converter(lambda latex, display: maths, lambda tikz: picture)(r"$x$ \begin{tikzpicture}\end{tikzpicture}")
    root = etree.fromstring(f"<root>{out}</root>")
    assert not root.findall(".//a") and not root.findall(".//script")
    assert root.find(".//img") is not None and root.find(".//img").get("src") is None
    assert root.find(".//span").attrib == {} and root.find(".//div[@class='p']") is not None
    text = "".join(root.itertext())
    assert all(word in text for word in ("m", "l", "c()", "d")), text   # shown as text
    _assert_inert(root)


def test_moodle_maths_that_asks_mathjax_for_html_stays_code() -> None:
    """Moodle gets LaTeX for MathJax, which makes links and styles of these commands itself."""
    out = Converter(mathjax, lambda tikz: "")(rf"$\href{{http://{EVIL}}}{{x}}$ $\style{{color:red}}{{y}}$ $x^2$")
    root = etree.fromstring(f"<root>{out}</root>")
    assert [c.text for c in root.iter("code")] == [rf"\href{{http://{EVIL}}}{{x}}", r"\style{color:red}{y}"]
    assert r"\(x^2\)" in out and r"\(\href" not in out and r"\(\style" not in out


# Item 8: CSV cells a spreadsheet would run as formulas start with a quote; numbers stay numbers.

def _csv_rows(build: ExportBuild, folder: Path) -> list[dict[str, str]]:
    [path] = write(write_csv, build, folder)
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_cells_a_spreadsheet_would_run_start_with_a_quote(tmp_path: Path) -> None:
    name = f'=HYPERLINK("http://{EVIL}","x")'
    hostile = ["+1+1", "@SUM(A1)", "\tx", "\rx", "-2+3", "=1", "-cmd|' /C calc'!A0"]
    parts = tuple(_part(own=chr(97 + i), answer=a) for i, a in enumerate(hostile))
    numbers = (_part(own="x", answer="-3", kind="numeric", values=(Value(-3.0, 0.0, "-3"),)),
               _part(own="y", answer="-0.25", kind="numeric", values=(Value(-0.25, 5e-5, "-0.25"),)))
    rows = _csv_rows(_build(parts + numbers, name=name), tmp_path)
    assert {r["student_name"] for r in rows} == {"'" + name}
    assert [r["answer"] for r in rows[:len(hostile)]] == ["'" + a for a in hostile]
    assert [(r["answer"], r["values"]) for r in rows[len(hostile):]] == [("-3", "-3"), ("-0.25", "-0.25")]
    for row in rows:
        assert not any(cell.startswith(FORMULA_STARTS) and not _number(cell) for cell in row.values()), row


def test_a_roster_name_that_is_a_formula_is_quoted_in_the_csv(bank: Path, tmp_path: Path) -> None:
    spec = _spec(bank, "conv2d-params")
    roster = _roster(tmp_path, [f'=HYPERLINK("http://{EVIL}","x")', "@SUM(1+1)*cmd|' /C calc'!A0"])
    result = run("export", spec, "--seed", "1", "--format", "csv", "--out", tmp_path / "out", "--roster", roster)
    assert result.exit_code == 0, result.output
    [path] = (tmp_path / "out").rglob("*.csv")
    names = {r["student_name"] for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))}
    assert names == {f"'=HYPERLINK(\"http://{EVIL}\",\"x\")", "'@SUM(1+1)*cmd|' /C calc'!A0"}


def _number(cell: str) -> bool:
    try:
        return math.isfinite(float(cell)) and cell.strip() == cell
    except ValueError:
        return False


# Item 15: numbers beyond a float, control characters: a result or one line, never a traceback.

def _spec(bank: Path, *questions: str, title: str = "T") -> Path:
    body = {"id": "s", "title": title, "institution": "I", "course": "C", "date": "D", "duration": "1h",
            "instructions": [], "sections": [{"title": "S", "questions": list(questions)}]}
    return write_spec(bank, "s", yaml.safe_dump(body, allow_unicode=True))


def _roster(folder: Path, names: list[str]) -> Path:
    path = folder / "roster.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["id", "name"], *([f"s{i}", n] for i, n in enumerate(names, start=1))])
    return path


def _course(bank: Path, value: str, expr: str = "n + 1", answer: str = "$<< v >>$",
            labels: tuple[str, ...] = ()) -> Path:
    """A course's bank folder beside `bank`: template `big`, whose trusted solver returns `value`
    (Python source) as answer `v` and whose `answers` expression `expr` is `w` (one part, or parts
    `labels`). Each call registers a solver of its own name."""
    folder = bank.parent / f"course-{next(SOLVER_NUMBERS)}"
    name = f"exports_big_{folder.name[7:]}"
    folder.mkdir()
    (folder / "solvers.py").write_text(f"import sympy\nfrom examgen.solvers import Solved, solver\n\n\n"
                                       f"@solver({name!r})\ndef big(p, ctx):\n    return Solved({{'v': {value}}}, {{}})\n")
    body = {k: v for k, v in SHORT.items() if k not in ("question", "answer", "marks")}
    body |= {"id": "big", "kind": "numeric", "params": {"n": {"type": "int", "min": 1, "max": 3}}, "solver": name,
             "answers": {"w": expr}, "solution": "It is $<< w >>$."}
    if labels:
        body["parts"] = [{"label": label, "marks": 1, "question": f"Part {i} $x_{{<< n >>}}$?", "answer": answer}
                         for i, label in enumerate(labels)]
    else:
        body |= {"marks": 1, "question": "How big?", "answer": answer}
    (folder / "big.yaml").write_text(yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8")
    load_bank.cache_clear()
    return folder


def _export(spec: Path, fmt: str, out: Path, course: Path | None = None, roster: Path | None = None,
            seed: int = 1):
    extra = [*(("--bank", course, "--trust-bank-code", course) if course else ()), *(("--roster", roster) if roster else ())]
    return run("export", spec, "--seed", str(seed), "--format", fmt, "--out", out, *extra)


def _strict_json(text: str) -> object:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("value", ["10**400", "-sympy.Integer(10)**400", "sympy.Rational(10**400, 3)",
                                   "sympy.Rational(1, 10**400)", "sympy.Rational(-7, 10**400) + 10**400"])
def test_an_answer_beyond_the_float_range_exports_as_exact_text_in_every_format(
        bank: Path, tmp_path: Path, value: str) -> None:
    """A solver's huge sympy Integer or Rational: float() overflowed in values.py (a traceback in
    every format); now the part is open and its answer is the exact text, the JSON stays JSON."""
    course = _course(bank, value)
    spec = _spec(bank, "big")
    for fmt in FORMATS:
        result = _export(spec, fmt, tmp_path / fmt, course)
        assert result.exit_code == 0, (fmt, result.output, result.exception)
    [key] = (tmp_path / "csv").rglob("*.csv")
    [row] = csv.DictReader(io.StringIO(key.read_text(encoding="utf-8")))
    assert row["kind"] == "open" and "0" * 399 in row["answer"] and row["values"] == ""
    [record] = (tmp_path / "json").rglob("*.json")
    _strict_json(record.read_text(encoding="utf-8"))


def test_numbers_beyond_a_float_are_never_graded_as_floats() -> None:
    answers = [10**400, -10**400, {"exact": "10^400/3", "value": math.inf}, 3, {"value": math.nan}]
    assert solver_numbers(answers) == [3.0]
    huge = "9" * 400
    for text in (f"${huge}$", r"$\frac{1}{0}$", rf"$\frac{{{'7' * 5000}}}{{3}}$", f"$0.{'0' * 400}1$",
                 "$12345678901234567890$"):
        values = printed_values(text)   # never raises
        assert not confirmed(values, [v.value for v in values] + [math.inf, 0.0]), text
    assert confirmed(printed_values("$-0.25$"), [-0.25])


def test_a_value_too_long_for_amcs_boxes_is_marked_by_hand() -> None:
    big = _part(kind="numeric", answer="$10^{20}$", values=(Value(1e20, 0.0, "100000000000000000000"),))
    [question] = amc_part(_build((big,)).variants[0].items[0], big)
    assert r"\AMCOpen" in question and r"\AMCnumericChoices" not in question


def test_the_json_build_stays_json_whatever_the_answers_hold(tmp_path: Path) -> None:
    record = {"params": {"n": 1}, "answers": {"big": {"exact": "10^400/3", "value": math.inf},
                                              "huge": 10**5000, "nan": math.nan}}
    [path] = write(write_json, _build((_part(),), record=record), tmp_path)
    answers = _strict_json(path.read_text(encoding="utf-8"))["variants"][0]["questions"][0]["answers"]
    assert answers["huge"] == "1" + "0" * 5000   # exact, as text: past 4300 digits Python writes no int
    assert answers["big"]["value"] is None and answers["nan"] is None


def _with_student(name: str) -> tuple[ExportBuild, object]:
    variants, build = sampled(DEMO, 1, True)
    variant = copy.deepcopy(variants[0])
    variant.student = Student("s1", name)
    return build, variant


def test_control_characters_leave_a_students_name_in_every_format(tmp_path: Path) -> None:
    """Whatever the roster let through: the intermediate keeps only what XML and a page can hold."""
    build, variant = _with_student("Ada\x01 Love\x0blace\x1b\x7f\x85\ud800\uffff\n")
    hostile = export_build(build.spec, build.seed, [variant])
    assert hostile.variants[0].student_name == "Ada Lovelace"
    for fmt, writer in writers().items():
        write(writer, hostile, tmp_path / fmt)
    [package] = (tmp_path / "qti").glob("*.zip")
    with zipfile.ZipFile(package) as zf:
        [title] = [etree.fromstring(zf.read(n)).get("title") for n in zf.namelist() if n.startswith("T-")]
    assert title.endswith(", Ada Lovelace)")


def test_a_name_of_only_control_characters_is_one_error_naming_the_student() -> None:
    build, variant = _with_student("\x01\x02 \x1b")
    with pytest.raises(SpecError, match="student s1: .*control characters"):
        export_build(build.spec, build.seed, [variant])


def test_a_roster_name_with_control_characters_is_a_result_or_one_line_naming_its_row(
        bank: Path, tmp_path: Path) -> None:
    spec = _spec(bank, "conv2d-params")
    roster = _roster(tmp_path, ["Ada\x01 Love\x0blace\x1b", "Alan\x7f Turing"])
    for fmt in FORMATS:
        result = run("export", spec, "--seed", "1", "--format", fmt, "--out", tmp_path / fmt, "--roster", roster)
        if result.exit_code:
            assert "line 2" in one_error_line(result) or "s1" in one_error_line(result)
        else:
            assert result.exception is None or isinstance(result.exception, SystemExit), (fmt, result.exception)


def test_control_characters_in_bank_and_spec_text_leave_every_format(bank: Path, tmp_path: Path) -> None:
    course = _course(bank, "p['n']", answer="$<< v >>$\x0c\x01", labels=("a", "b"))
    spec = _spec(bank, "big", title="Exam\x01 \x1b[31mtitle")
    for fmt in FORMATS:
        _assert_result_or_one_line(_export(spec, fmt, tmp_path / fmt, course))


def test_latex_nested_too_deep_or_too_wide_is_one_error_or_stays_bounded(tmp_path: Path) -> None:
    """Found by fuzzing: 1000 nested \\emph was a RecursionError, maths nested 250 deep made a page
    libxml2 cannot read back (QTI's writer failed); now one error, or the maths shown as code.
    A tabular of *{999999999}{l} columns asked for gigabytes; now at most 100 are read."""
    build, variant = _with_student("Ada")
    variant.sections[0].questions[0].stem = "\\emph{" * 1000 + "x" + "}" * 1000
    with pytest.raises(RenderError, match=r"conv2d-params.*nested more than"):
        export_build(build.spec, build.seed, [variant])
    deep = _part(question="$" + "{" * 252 + "x" + "}" * 252 + "$",
                 solution=r"\begin{tabular}{*{999999999}{l}} a & b \end{tabular}")   # not 8 GB of columns
    for writer in (write_qti, write_html):
        write(writer, _build((deep,)), tmp_path / writer.__name__)


# Item 19: QTI identifiers stay unique, and the package validates against the official schema.

@pytest.fixture(scope="module")
def qti_schemas() -> tuple[etree.XMLSchema, etree.XMLSchema]:
    if not (SCHEMAS / "qtiv2p1" / "imsqti_v2p1.xsd").exists():
        pytest.skip("the official QTI 2.1 schemas are not in ../shared/schemas (see its README)")
    parser = etree.XMLParser(no_network=True)
    return (etree.XMLSchema(etree.parse(str(SCHEMAS / "qtiv2p1" / "imsqti_v2p1.xsd"), parser)),
            etree.XMLSchema(etree.parse(str(SCHEMAS / "imscp_v1p1.xsd"), parser)))


def _assert_valid(package: Path, schemas: tuple[etree.XMLSchema, etree.XMLSchema]) -> zipfile.ZipFile:
    qti, cp = schemas
    zf = zipfile.ZipFile(package)
    for name in (n for n in zf.namelist() if n.endswith(".xml")):
        schema = cp if name == "imsmanifest.xml" else qti
        doc = etree.fromstring(zf.read(name))
        assert schema.validate(doc), (name, [(e.path, e.message) for e in schema.error_log][:3])
    return zf


def test_qti_identifiers_stay_unique_when_labels_differ_only_in_punctuation(tmp_path: Path, qti_schemas) -> None:
    parts = (_part(own="a.b", question="First part."), _part(own="a-b", question="Second part."),
             _part(own="a b", question="Third part."))
    [package] = write(write_qti, _build(parts), tmp_path)
    zf = _assert_valid(package, qti_schemas)
    manifest = etree.fromstring(zf.read("imsmanifest.xml"))
    items = [r for r in manifest.iter(f"{{{CP}}}resource") if r.get("type") == "imsqti_item_xmlv2p1"]
    assert len({r.get("identifier") for r in items}) == 3
    texts = {" ".join(etree.fromstring(zf.read(r.get("href"))).itertext()) for r in items}
    assert all(any(f"{w} part." in t for t in texts) for w in ("First", "Second", "Third"))
    [test] = [n for n in zf.namelist() if n.startswith("T-")]
    refs = [r.get("identifier") for r in etree.fromstring(zf.read(test)).iter(f"{{{QTI}}}assessmentItemRef")]
    assert sorted(refs) == sorted(r.get("identifier") for r in items)


def test_the_full_exams_qti_package_validates_against_the_official_schema(tmp_path: Path, qti_schemas) -> None:
    _, build = sampled(FULL, 2, True)
    [package] = write(write_qti, build, tmp_path)
    _assert_valid(package, qti_schemas)


# Fuzzing: hostile banks, specs and rosters through the CLI; hostile variants through every writer.

PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x24F, blacklist_categories=("Cc", "Cs"))
FORMULAS = st.sampled_from([f'=HYPERLINK("http://{EVIL}","x")', "@SUM(1+1)", "+1", "-2", "-x", "\tx", "=1"])
NAMES = st.one_of(   # mostly names a roster lets through (the exports must see them), some it refuses
    st.text(PRINTABLE, min_size=1, max_size=30), FORMULAS, FORMULAS.map(lambda f: f + " Lovelace"),
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30),
    st.text(st.characters(max_codepoint=0xA0, blacklist_categories=("Cs",)), min_size=1, max_size=8),
    st.builds(lambda c, n: c * n, st.characters(blacklist_categories=("Cs",)), st.integers(1000, 20000)),
    st.sampled_from(["\x00", "\r\n", "\u202e", "\ufeffx", "\uffff", "A" * 200]))
EXPRS = st.one_of(   # `answers:` expressions (the bank's evaluator bounds them; some it refuses)
    st.integers(-10**40, 10**40).map(str),
    st.tuples(st.integers(-10**30, 10**30), st.integers(1, 10**30)).map(lambda t: f"({t[0]})/{t[1]}"),
    st.integers(9, 1000).map(lambda k: f"10^300*10^{k}"),
    st.sampled_from(["1/10^300/10^100", "sqrt(2)", "exp(700)", "log(10^300)", "2^1000*2^1000", "(10^300+1)/3",
                     "0", "-0.25", "n - 4", "n/0", "tan(10^300)"]))
RATIONAL_SOURCES = st.tuples(st.integers(-10**400, 10**400), st.integers(1, 10**400))
VALUES = st.one_of(   # a trusted solver's answer, as Python source: huge, exact, odd
    st.integers(-10**500, 10**500).map(repr), st.integers(-10**20, 10**20).map(repr),
    RATIONAL_SOURCES.map(lambda t: f"sympy.Rational({t[0]}, {t[1]})"),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: f"float({repr(f)!r})"),
    st.sampled_from(["sympy.sqrt(2)", "sympy.exp(700)", "-sympy.Integer(10)**400", "[10**400, 1]", "'=1+1'",
                     "sympy.Matrix([[10**400, 1]])", "sympy.oo", "sympy.nan", "sympy.I * 10**400", "None",
                     "sympy.Rational(1, 10**400)", "sympy.log(10**400)", "{'value': 10**400}"]))
ANSWERS = st.sampled_from(["$<< v >>$", "$x = << v >>$", r"$y \approx << v >>$", "<< v >> units",
                           r"$\frac{<< v >>}{3}$", "$-<< v >>$", r"$\begin{bmatrix} << v >> & 1 \end{bmatrix}$",
                           "Anything.", r"$\style{color:red}{<< v >>}$"])
LABELS = st.one_of(st.sampled_from(["a", "b", "q", "1", "ii", "aa", "a.b", "<]]>", "\x01", "x" * 300]),
                   st.text(max_size=10))
TEXTS = st.one_of(st.text(PRINTABLE, max_size=40), st.text(max_size=40),
                  st.sampled_from([HOSTILE_MATHS, r"$\text{<script>x()</script>}$", "\x01\x0c", "\ud800", "{", "$",
                                   r"\begin{itemize}", "=1+1", "-", "]]>", "<]]>&", "\\emph{" * 60 + "}" * 60,
                                   r"\begin{tabular}{*{999999999}{l}} a \end{tabular}",
                                   "$" + "{" * 252 + "x" + "}" * 252 + "$"]))


@_fuzz(12)   # about a second each: six exports
@given(names=st.lists(NAMES, max_size=2).map(lambda n: ["Ada", *n]), value=VALUES, expr=EXPRS, answer=ANSWERS,
       labels=st.lists(LABELS, min_size=1, max_size=3), title=st.one_of(st.text(PRINTABLE, max_size=40), TEXTS),
       seed=st.integers(0, 3))
def test_fuzz_hostile_bank_spec_and_roster_in_every_format(bank: Path, tmp_path: Path, names: list[str], value: str,
                                                          expr: str, answer: str, labels: list[str], title: str,
                                                          seed: int) -> None:
    course = _course(bank, value, expr, answer, tuple(labels) if len(labels) > 1 else ())
    spec = _spec(bank, "big", "conv2d-params", title=title)
    out = Path(tempfile.mkdtemp(dir=tmp_path))
    roster = _roster(out, names)
    for fmt in FORMATS:
        _assert_result_or_one_line(_export(spec, fmt, out / "out", course, roster, seed))
    for path in (out / "out").rglob("*"):
        _assert_output_inert(path)


RATIONALS = st.tuples(st.integers(-10**400, 10**400), st.integers(1, 10**400)).map(lambda t: sympy.Rational(*t))
NUMBERS = st.one_of(st.integers(-10**500, 10**500), st.integers(-10**20, 10**20), RATIONALS,
                    st.floats(allow_nan=True, allow_infinity=True))


@_fuzz(40)
@given(name=NAMES, label=LABELS, text=TEXTS, number=NUMBERS, decimals=st.integers(0, 30))
def test_fuzz_hostile_variants_through_every_writer(name: str, label: str, text: str, number: object,
                                                    decimals: int) -> None:
    """Straight into the intermediate (a solver's answers, no bank check on labels): every writer
    writes, or the build stops with an ExamgenError, which the CLI prints as one line."""
    variants, build = sampled(DEMO, 1, True)
    variant = copy.deepcopy(variants[0])
    variant.student = Student("s-x", name)
    instance, question = variant.instances[0][0], variant.sections[0].questions[0]
    template = instance.template
    instance.template = replace(template, parts=(replace(template.parts[0], label=label), *template.parts[1:]))
    instance.solved.answers = {"v": number}
    question.stem = text
    question.parts[0].answer = f"${_printed(number, decimals)}$"
    try:
        hostile = export_build(build.spec, build.seed, [variant])
    except ExamgenError:
        return
    with tempfile.TemporaryDirectory() as folder:
        for fmt, writer in writers().items():
            for path in write(writer, hostile, Path(folder) / fmt):
                _assert_output_inert(path)


def _printed(number: object, decimals: int) -> str:
    if isinstance(number, float):
        return repr(number)
    if isinstance(number, sympy.Rational) and not number.is_Integer:
        return rf"\frac{{{number.p}}}{{{number.q}}}"
    return str(int(number)) + ("." + "0" * decimals if decimals else "")


def _assert_result_or_one_line(result) -> None:
    if result.exit_code == 0:
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    else:
        one_error_line(result)


def _assert_output_inert(path: Path) -> None:
    if path.suffix == ".csv":
        for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")):
            assert not any(c.startswith(FORMULA_STARTS) and not _number(c) for c in row), row
    elif path.suffix == ".json":
        _strict_json(path.read_text(encoding="utf-8"))
    elif path.suffix in (".html", ".zip", ".xml"):
        for doc in _docs([path]):
            _assert_inert(doc)
