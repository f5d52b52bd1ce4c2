"""The shared intermediate: printed answers read back as numbers with tolerances, and LaTeX → XHTML."""
from __future__ import annotations

import math

from lxml import etree

from examgen.export.latexhtml import Converter
from examgen.export.markup import mathml
from examgen.export.values import printed_values
from examgen.tex.latexfmt import matrix, num
from examgen.render import plain

from export_support import DEMO, sampled


def test_numeric_parts_carry_the_solvers_values() -> None:
    variants, build = sampled(DEMO, 2)
    checked = 0
    for variant, exported in zip(variants, build.variants, strict=True):
        instances = {i.template.id: i for section in variant.instances for i in section}
        for item in exported.items:
            answers = plain(instances[item.family].answers)
            for part in item.parts:
                if part.kind == "numeric" and item.family == "conv2d-params":
                    assert part.values[0].accepts(answers["total"])
                    checked += 1
                if part.kind in ("numeric", "numeric-multi"):
                    assert all(v.tolerance >= 0 for v in part.values)
    assert checked == 2


def test_kinds_follow_the_templates() -> None:
    _, build = sampled(DEMO, 1)
    kinds = {item.family: {p.kind for p in item.parts} for item in build.variants[0].items}
    assert kinds["conv2d-by-hand"] == {"numeric-multi"}          # matrices
    assert kinds["conv2d-params"] == {"numeric"}
    assert all(k in {"numeric", "numeric-multi", "choice", "open"} for ks in kinds.values() for k in ks)


def test_printed_precision_gives_the_tolerance() -> None:
    value = math.log(250)
    [v] = printed_values(f"${num(__import__('sympy').log(250))}$")
    assert v.accepts(value) and 0 < v.tolerance < 1e-3
    grid = [[1, -2], [3.25, 0]]
    values = printed_values(f"$O = {matrix(grid)}$")
    assert [v.value for v in values] == [x for row in grid for x in row]


def _convert(tex: str) -> etree._Element:
    convert = Converter(mathml, lambda tikz: '<img alt="figure" src="x.png"/>')
    return etree.fromstring(f"<root>{convert(tex)}</root>")


def test_text_mode_latex_becomes_xhtml() -> None:
    tex = (r"An \emph{odd} \textbf{bold} \texttt{code\_name} claim:\\ next line $x^2$"
           "\n\\begin{itemize}\n\\item one\n\\item[b)] two $y$\n\\end{itemize}\n"
           r"\begin{center}\begin{tabular}{@{}ll@{}} a & b \\ \hline c & $d$ \\ \end{tabular}\end{center}"
           "\n\\begin{lstlisting}\nfor i in range(3):\n    x <= 1\n\\end{lstlisting}\n"
           r"\begin{tikzpicture}\draw (0,0) -- (1,1);\end{tikzpicture}")
    root = _convert(tex)
    assert root.find(".//em").text == "odd" and root.find(".//strong").text == "bold"
    assert root.find(".//code").text == "code_name"
    assert len(root.findall(".//li")) == 2 and root.find(".//br") is not None
    assert len(root.findall(".//tr")) == 2 and len(root.findall(".//td")) == 4
    assert "x <= 1" in root.find(".//pre/code").text
    assert len(root.findall(".//{http://www.w3.org/1998/Math/MathML}math")) == 3
    assert root.find(".//img") is not None


def test_every_question_of_every_spec_converts_to_wellformed_xhtml() -> None:
    from export_support import SPECS

    for spec in SPECS:
        _, build = sampled(spec, 1)
        for item in build.variants[0].items:
            for part in item.parts:
                for tex in (item.stem, part.question, part.solution, part.answer, *(c.text for c in part.choices)):
                    _convert(tex)   # raises on anything not well-formed


def test_bank_text_cannot_smuggle_markup_into_a_page() -> None:
    root = _convert(r"<script>a()</script> $\text{<script>b()</script>}$ \emph{<img src=x onerror=c()>}")
    assert not [el for el in root.iter() if etree.QName(el).localname in ("script", "img")]
    assert "a()" in "".join(root.itertext()) and "b()" in "".join(root.itertext())   # shown as text


def test_no_maths_of_the_seven_specs_falls_back_to_code() -> None:
    from export_support import SPECS

    for spec in SPECS:
        _, build = sampled(spec, 1)
        for item in build.variants[0].items:
            for part in item.parts:
                root = _convert(item.stem + part.question + part.solution + part.answer)
                assert root.find(".//code[@class='latex']") is None


def test_latex_the_converter_cannot_read_is_one_error_naming_the_template() -> None:
    import copy

    import pytest

    from examgen.errors import RenderError
    from examgen.export.items import export_build

    variants, build = sampled(DEMO, 1)
    broken = copy.deepcopy(variants)
    question = broken[0].sections[0].questions[0]
    question.stem = r"\emph{never closed"
    with pytest.raises(RenderError, match=question.template_id):
        export_build(build.spec, build.seed, broken)
