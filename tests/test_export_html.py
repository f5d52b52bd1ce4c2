"""The HTML pages opened in headless Chromium: a screenshot that is not blank, and the question text
and MathML in the DOM it builds. Nothing may be fetched: the pages carry their pictures inline."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree, html as lhtml

from examgen.export.html import write_html
from examgen.export.latexhtml import Converter
from examgen.export.markup import mathml

from export_support import FULL, sampled, write

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
# `make test` installs it (scripts/install-test-tools.sh); only a bare pytest elsewhere may skip.
pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed")
MATHML = "http://www.w3.org/1998/Math/MathML"


def chromium(*args: str, tmp: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           f"--user-data-dir={tmp / 'profile'}", *args], capture_output=True, timeout=120, text=True)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    _, build = sampled(FULL, 2, True)
    folder = tmp_path_factory.mktemp("html")
    write(write_html, build, folder)
    return folder, build


def test_one_page_and_one_solutions_page_per_student(pages) -> None:
    folder, build = pages
    names = {p.name for p in folder.iterdir()}
    assert names == {f"{v.student_id}{s}.html" for v in build.variants for s in ("", "-solutions")}
    for path in folder.iterdir():
        doc = lhtml.fromstring(path.read_bytes())
        sources = [e.get("src") or e.get("href") for e in doc.iter() if e.get("src") or e.get("href")]
        assert all(s.startswith("data:") for s in sources), "a page must load nothing from outside"


def test_chromium_renders_the_question_text_and_maths(pages, tmp_path: Path) -> None:
    folder, build = pages
    variant = build.variants[0]
    page = folder / f"{variant.name}.html"
    dom = chromium("--dump-dom", page.as_uri(), tmp=tmp_path).stdout
    tree = lhtml.fromstring(dom)
    text = " ".join(tree.text_content().split())
    assert variant.code in text and variant.student_name in text
    first = variant.items[0]
    words = _plain(first.stem or first.parts[0].question)
    assert words and words in text
    assert tree.xpath("//*[local-name()='math']"), "no MathML element in the DOM"
    solutions = lhtml.fromstring(chromium("--dump-dom", (folder / f"{variant.name}-solutions.html").as_uri(),
                                          tmp=tmp_path).stdout)
    parts = sum(len(i.parts) for i in variant.items)
    assert len(solutions.xpath("//div[@class='answer']")) == parts and not tree.xpath("//div[@class='answer']")


def _plain(tex: str) -> str:
    """The first run of plain words the page shows for this LaTeX (as the browser's text)."""
    fragment = etree.fromstring(f"<r>{Converter(mathml, lambda t: '')(tex)}</r>")
    first = fragment.find(".//div")
    chunk = (first.text if first is not None else "") or ""
    return " ".join(chunk.split()[:6])


def test_screenshot_is_not_blank(pages, tmp_path: Path) -> None:
    from PIL import Image, ImageStat

    folder, build = pages
    shot = tmp_path / "page.png"
    run = chromium(f"--screenshot={shot}", "--window-size=1000,1400",
                   (folder / f"{build.variants[0].name}-solutions.html").as_uri(), tmp=tmp_path)
    assert shot.exists(), run.stderr[-2000:]
    gray = Image.open(shot).convert("L")
    assert ImageStat.Stat(gray).stddev[0] > 20          # text on a page, not a flat colour
    inked = sum(gray.histogram()[:128]) / (gray.width * gray.height)
    assert 0.005 < inked < 0.5


def test_table_cells_keep_their_columns_alignment_inside_a_centred_block() -> None:
    """A layer listing (Glasgow 1) is a left-aligned tabular inside a center block: its cells
    stay on the left, a right column on the right, and \\multicolumn spans its columns."""
    tex = ("\\begin{center}\\begin{tabular}[t]{@{}l|r@{}}\n\\multicolumn{2}{@{}l}{\\textbf{model1}} \\\\\n"
           "\\texttt{fc1} & 784 \\\\\n\\end{tabular}\\end{center}")
    rows = etree.fromstring(f"<r>{Converter(mathml, lambda t: '')(tex)}</r>").findall(".//tr")
    cells = [[(td.get("colspan"), td.get("class"), "".join(td.itertext())) for td in row] for row in rows]
    assert cells == [[("2", "left", "model1")], [(None, "left", "fc1"), (None, "right", "784")]]


def test_a_named_function_is_followed_by_a_thin_space_unless_a_bracket_follows() -> None:
    ns = {"m": "http://www.w3.org/1998/Math/MathML"}
    spaced = etree.fromstring(mathml(r"-\log 0.35 + \log \hat{y}", False))
    assert [el.getnext().tag.split("}")[1] for el in spaced.iterfind(".//m:mi", ns) if el.text == "log"] == ["mspace"] * 2
    assert not etree.fromstring(mathml(r"\ln\left(\frac{20}{7}\right)", False)).findall(".//m:mspace", ns)


# Issue 23, item 7: the spec's words read as plain text, and every picture says what it shows.

RESIDUE = re.compile(r"\{-\}|\\|\{[^{}]*\}|(?<=\w)~|~(?=\w)")   # LaTeX's {-}, commands, groups, ties


@pytest.fixture(scope="module")
def every_spec(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, object]]:
    """Each spec of bank/exams exported as HTML at seed 7: (its folder, its build)."""
    from export_support import SPECS

    out = []
    for spec in SPECS:
        _, build = sampled(spec, 1)
        folder = tmp_path_factory.mktemp(f"html-{spec.stem}")
        write(write_html, build, folder)
        out.append((folder, build))
    return out


def _headings(tree) -> list[str]:
    """The page's title, headings, meta line, instructions and section intros, as the reader gets them."""
    path = "//title | //h1 | //h2 | //*[@class='meta'] | //ul[@class='instructions']/li | //*[@class='intro']"
    return [" ".join(el.text_content().split()) for el in tree.xpath(path)]


def test_headings_and_text_of_every_spec_carry_no_latex(every_spec) -> None:
    """`Back{-}propagation` came from the rendered (LaTeX-escaped) section titles; the page now
    takes the spec's own words. No text node outside code shows {-}, a backslash, a brace group
    or a tie (~ as a space)."""
    for folder, build in every_spec:
        titles = {" ".join(s.title.split()) for s in build.spec.sections}
        for path in sorted(folder.iterdir()):
            tree = lhtml.fromstring(path.read_bytes())
            headings = _headings(tree)
            assert [h for h in headings if RESIDUE.search(h)] == [], path
            assert {h.split(": ", 1)[1] for h in headings if h.startswith("Question ") and ": " in h} <= titles
            for el in tree.iter():
                if not isinstance(el.tag, str):
                    continue
                parent = el.getparent()
                verbatim = el.tag in ("style", "pre") or (el.tag == "code" and parent is not None and parent.tag == "pre")
                for text in (None if verbatim else el.text, el.tail):
                    assert not RESIDUE.search(text or ""), (path.name, el.tag, text)


def test_chromium_shows_every_figure_with_its_description(every_spec, tmp_path: Path) -> None:
    """Each page as Chromium builds it: every picture has a description of its own (never the
    placeholder "figure", never empty), and the headings read as plain text."""
    described = 0
    for folder, _ in every_spec:
        for path in sorted(folder.iterdir()):
            run = chromium("--dump-dom", path.as_uri(), tmp=tmp_path)
            tree = lhtml.fromstring(run.stdout)
            assert tree.xpath("//h1"), (path, run.stderr[-2000:])
            alts = [img.get("alt") for img in tree.iter("img")]
            assert all(a and a.strip() and a.strip().lower() != "figure" for a in alts), (path, alts)
            assert all(not RESIDUE.search(a) and "$" not in a for a in alts), (path, alts)
            assert [h for h in _headings(tree) if RESIDUE.search(h)] == [], path
            described += len(alts)
    assert described >= 12   # the specs draw figures: the check must have pictures to look at


def test_alt_texts_follow_the_parts_the_exam_asks(tmp_path: Path) -> None:
    """A part's figures take their own entries of `alt:` (Jinja rendered with the parameters); a
    part the exam leaves out takes its entries with it; a solution's figure gets a generic one."""
    from examgen.bank import parse_template
    from examgen.export.figures import alt_text, describe_figures, figure_sources
    from examgen.models import Instance, Pick, Solved
    from examgen.render import render_question

    picture = "\\begin{{tikzpicture}}\\node {{{}}};\\end{{tikzpicture}}"
    data = {"id": "t", "title": "Two  pictures", "topics": ["x"], "kind": "short-answer",
            "source": {"paper": "original", "question": "1"},
            "params": {"n": {"type": "int", "min": 2, "max": 9}},
            "alt": ["A box with the letter A.", "A box holding the number << n >>."],
            "parts": [{"label": "a", "marks": 1, "question": "See " + picture.format("A"), "answer": "x"},
                      {"label": "b", "marks": 1, "question": "See " + picture.format("$<< n >>$"), "answer": "y",
                       "solution": "Worked: " + picture.format("S")}]}
    template = parse_template(tmp_path / "t.yaml", data)
    instance = Instance(template, {"n": 7}, Solved({}))
    question = render_question(instance, Pick(template, parts=("b",)), iter(["a"]))
    describe_figures(instance, question)
    [asked] = figure_sources(question.parts[0].prompt)
    [worked] = figure_sources(question.parts[0].solution)
    assert alt_text(asked) == "A box holding the number 7."
    assert alt_text(worked) == "Worked-solution figure: Two pictures"


@pytest.mark.parametrize("alt, problem", [
    (None, "the question draws 1 figure: give `alt:`"),
    (["one", "two"], "2 alt texts for the 1 figure"),
    ("a graph", "expected a list of non-empty strings"),
    ([" "], "expected a list of non-empty strings"),
    (["the graph of $x^2$"], r"alt\[0\]: '\$': alt text is plain text"),
])
def test_the_loader_wants_one_plain_alt_text_per_figure_of_the_question(tmp_path: Path, alt, problem) -> None:
    from examgen.bank import parse_template
    from examgen.errors import BankError

    data = {"id": "t", "title": "t", "topics": ["x"], "kind": "short-answer",
            "source": {"paper": "original", "question": "1"}, "marks": 1, "answer": "x",
            "question": "See \\begin{tikzpicture}\\node {a};\\end{tikzpicture}",
            "solution": "Not counted: \\begin{tikzpicture}\\node {b};\\end{tikzpicture}"}
    if alt is not None:
        data["alt"] = alt
    with pytest.raises(BankError, match=problem):
        parse_template(tmp_path / "t.yaml", data)
    data["alt"] = ["A node labelled a."]
    assert parse_template(tmp_path / "t.yaml", data).alt == ("A node labelled a.",)


def test_pictures_in_files_carry_the_alt_text_too() -> None:
    """QTI and Moodle (FileFigures) read the same alt texts as the HTML page."""
    from examgen.export.figures import Figure, _remember
    from examgen.export.markup import FileFigures

    class Fake:
        def get(self, tikz: str) -> Figure:
            return Figure("figure-0123456789abcdef", b"", b"png")

    tikz = "\\begin{tikzpicture}\\node {q};\\end{tikzpicture}"
    _remember(tikz, 'A node "q" & more')
    img = etree.fromstring(FileFigures(Fake(), "images/")(tikz))
    assert img.get("alt") == 'A node "q" & more' and img.get("src") == "images/figure-0123456789abcdef.png"


def test_every_bank_alt_text_renders_as_plain_text_over_many_draws() -> None:
    """Each template's `alt:` renders for every draw, one text per figure of the question, plain
    (no LaTeX left by a parameter); the Transformer's names every blank box by number only."""
    import random

    from examgen.bank import load_bank
    from examgen.export.figures import UNDESCRIBED, alt_text, describe_figures, figure_sources
    from examgen.models import Pick
    from examgen.render import _labels, render_question
    from examgen.sample import instantiate
    from examgen.solve import make_context

    described = [t for t in load_bank().values() if t.alt]
    assert len(described) >= 6
    for template in described:
        for seed in range(12):
            instance = instantiate(template, random.Random(seed), make_context("cpu"))
            question = render_question(instance, Pick(template), _labels(len(template.parts)))
            describe_figures(instance, question)
            shown = [t for text in [question.stem, *(p.prompt for p in question.parts)] for t in figure_sources(text)]
            alts = [alt_text(t) for t in shown]
            assert len(alts) == len(template.alt) and UNDESCRIBED not in alts, template.id
            assert not [a for a in alts if RESIDUE.search(a) or "$" in a or len(a) < 40], (template.id, alts)
            if template.id == "transformer-components":
                blanks = instance.params["blanks"]
                assert all(f"blank box ({n})" in alts[0] for n in range(1, len(blanks) + 1))
                assert f"blank box ({len(blanks) + 1})" not in alts[0]


def test_maths_keeps_no_latex_of_sized_delimiters_sim_or_ties() -> None:
    """latex2mathml writes `\\big\\|` as the text "\\|", `\\sim` as an ASCII "~" and keeps `~` in `\\text`."""
    def texts(latex: str) -> list[str]:
        return [t for t in etree.fromstring(mathml(latex, False)).itertext() if t.strip()]

    assert texts(r"\mathbb{E}_{x \sim p}\, \big\| x \big\|_1") == ["𝔼", "x", "∼", "p", "‖", "x", "‖", "1"]
    assert texts(r"\Bigl\lfloor t \Bigr\rfloor + \big\{ a \big\}") == ["⌊", "t", "⌋", "+", "{", "a", "}"]
    assert texts(r"\text{a~b} + \tilde{y}") == ["a\u00a0b", "+", "y", "~"]   # the accent stays a tilde
