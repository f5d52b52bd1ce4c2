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
