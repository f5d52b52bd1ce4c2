"""Canvas quiz package (QTI 1.2 with Canvas's metadata) read back: the manifest lists every file, a
quiz per variant with its assessment_meta.xml, one item per part (per value, per hand-graded share)
in exam order with Canvas's question type and the part's marks, numbers with their tolerance, option
feedback and worked solutions kept, optional sections in a quiz of their own; and the response
processing, run by a small interpreter of the QTI 1.2 conditions Canvas writes, gives the key full marks."""
from __future__ import annotations

import zipfile
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree, html as lhtml

from examgen.export.canvas import CANVAS, CP, FILEBASE, META, QTI12, QTI_TYPE, write_canvas
from examgen.export.items import ExportBuild, ExportVariant, Item, ItemPart
from examgen.export.latexhtml import Converter
from examgen.export.markup import mathml
from examgen.export.values import Value
from examgen.inputs.paths import ROOT
from examgen.models import RenderedOption
from examgen.spec import load_spec

from export_support import DEMO, sampled, write

IMPERIAL = ROOT / "bank" / "exams" / "imperial-comp70010-2023.yaml"   # multiple answers
OSLO = ROOT / "bank" / "exams" / "oslo-in5400-2022.yaml"              # an optional (PhD) section
SPECS = [DEMO, IMPERIAL, OSLO]
NS = {"q": QTI12, "cp": CP, "c": CANVAS}
CHOICE = {"multiple_choice_question", "multiple_answers_question"}


def _package(build: ExportBuild, tmp: Path) -> zipfile.ZipFile:
    [path] = write(write_canvas, build, tmp)
    assert path.name == f"{build.spec.id}-canvas.zip"
    return zipfile.ZipFile(path)


def _sampled(spec: Path) -> ExportBuild:
    return sampled(spec, 2, True, 7)[1]


def _quizzes(zf: zipfile.ZipFile) -> list[tuple[etree._Element, etree._Element]]:
    """Each quiz's assessment and its Canvas metadata, in manifest order."""
    manifest = etree.fromstring(zf.read("imsmanifest.xml"))
    resources = {r.get("identifier"): r for r in manifest.iterfind(".//cp:resource", NS)}
    out = []
    for res in resources.values():
        if res.get("type") != QTI_TYPE:
            continue
        [qti] = [f.get("href") for f in res.iterfind("cp:file", NS)]
        [dep] = [d.get("identifierref") for d in res.iterfind("cp:dependency", NS)]
        meta = resources[dep]
        assert meta.get("href") == f"{res.get('identifier')}/{META}"   # where Canvas's importer looks for it
        assessment = etree.fromstring(zf.read(qti)).find("q:assessment", NS)
        out.append((assessment, etree.fromstring(zf.read(meta.get("href")))))
    return out


def _quiz(zf: zipfile.ZipFile, variant: ExportVariant, optional: bool = False) -> etree._Element:
    """The variant's quiz (its optional parts' quiz), found by its exam code."""
    [assessment] = [a for a, _ in _quizzes(zf)
                    if variant.code in a.get("title") and ("optional" in a.get("title")) == optional]
    return assessment


def _fields(item: etree._Element) -> dict[str, str]:
    return {f.findtext("q:fieldlabel", namespaces=NS): f.findtext("q:fieldentry", default="", namespaces=NS)
            for f in item.iterfind("q:itemmetadata/q:qtimetadata/q:qtimetadatafield", NS)}


def _items(assessment: etree._Element) -> list[etree._Element]:
    return assessment.findall(".//q:item", NS)


def _expected(part: ItemPart) -> list[str]:
    """The Canvas question types a part becomes (the module's docstring), written out here afresh."""
    if part.kind == "open" or part.kind == "choice" and not any(c.correct for c in part.choices):
        return ["essay_question"]
    if part.kind == "choice":
        graded = ["multiple_answers_question" if part.multiple else "multiple_choice_question"]
    else:
        graded = ["numerical_question"] * len(part.values)
    return graded + (["essay_question"] if part.manual else [])


def _by_part(variant: ExportVariant, items: list[etree._Element], optional: bool
             ) -> list[tuple[Item, ItemPart, list[etree._Element]]]:
    """The quiz's items grouped by the part they come from, checking their order and count."""
    out, rest = [], list(items)
    for item in variant.items:
        for part in item.parts:
            if part.optional == optional:
                count = len(_expected(part))
                out.append((item, part, rest[:count]))
                rest = rest[count:]
    assert not rest, "items left over"
    return out


def _html(node: etree._Element | None) -> str:
    assert node is not None
    assert node.get("texttype") == "text/html"
    return node.text or ""


def _feedback(item: etree._Element, ident: str) -> str:
    return _html(item.find(f"q:itemfeedback[@ident='{ident}']/q:flow_mat/q:material/q:mattext", NS))


def _text(xhtml: str) -> str:
    return " ".join(" ".join(lhtml.fragment_fromstring(xhtml, create_parent="div").itertext()).split())


def _check_quizzes(build: ExportBuild, zf: zipfile.ZipFile) -> None:
    """Every variant: a quiz of its graded parts (and one of its optional parts if it has any), each
    item of Canvas's type for its part, its points the part's marks, the quiz's the variant's."""
    quizzes = _quizzes(zf)
    expected = [(v, False) for v in build.variants] + [(v, True) for v in build.variants
                                                        if any(p.optional for i in v.items for p in i.parts)]
    assert len(quizzes) == len(expected)
    by_title = {a.get("title"): (a, m) for a, m in quizzes}
    for variant, optional in expected:
        [(assessment, meta)] = [q for t, q in by_title.items() if variant.code in t and ("optional" in t) == optional]
        assert variant.student_name in assessment.get("title")
        total = Decimal(0)
        for item, part, nodes in _by_part(variant, _items(assessment), optional):
            assert [_fields(n)["question_type"] for n in nodes] == _expected(part)
            points = [Decimal(_fields(n)["points_possible"]) for n in nodes]
            assert sum(points) == Decimal(repr(part.marks)), (part.label, points)
            for node in nodes:
                assert _feedback(node, "general_fb"), "every item keeps the worked solution"
            total += sum(points)
        marks = sum(p.marks for i in variant.items for p in i.parts if p.optional == optional)
        assert total == Decimal(repr(marks))
        assert Decimal(meta.findtext("c:points_possible", namespaces=NS)) == total
        assert meta.findtext("c:quiz_type", namespaces=NS) == "assignment"


# The package

def test_the_manifest_lists_every_file_and_each_quiz_depends_on_its_meta(tmp_path: Path) -> None:
    build = _sampled(DEMO)
    zf = _package(build, tmp_path)
    manifest = etree.fromstring(zf.read("imsmanifest.xml"))
    listed = {f.get("href") for f in manifest.iterfind(".//cp:file", NS)}
    assert listed == set(zf.namelist()) - {"imsmanifest.xml"}
    assert len(_quizzes(zf)) == len(build.variants)
    for assessment, meta in _quizzes(zf):
        ident = assessment.get("ident")
        assert meta.get("identifier") == ident and f"{ident}/{ident}.xml" in zf.namelist()
        assert meta.findtext("c:title", namespaces=NS) == assessment.get("title")


def test_each_variant_s_quiz_is_seen_only_by_the_students_it_is_assigned_to(tmp_path: Path) -> None:
    """Several variants (one per student): published, a quiz shows only to its overrides, never to
    the whole course (a student would see the other variants, and a roster's names); one variant
    is the course's quiz."""
    build = _sampled(DEMO)
    assert len(build.variants) > 1
    several = {m.findtext("c:only_visible_to_overrides", namespaces=NS) for _, m in _quizzes(_package(build, tmp_path))}
    one = replace(build, variants=build.variants[:1])
    alone = {m.findtext("c:only_visible_to_overrides", namespaces=NS)
             for _, m in _quizzes(_package(one, tmp_path / "one"))}
    assert several == {"true"} and alone == {"false"}


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_each_part_is_its_canvas_question_type_worth_its_marks(spec: Path, tmp_path: Path) -> None:
    build = _sampled(spec)
    _check_quizzes(build, _package(build, tmp_path))


def test_numeric_answers_carry_the_stated_tolerance(tmp_path: Path) -> None:
    build = _sampled(DEMO)
    zf = _package(build, tmp_path)
    checked = 0
    for variant in build.variants:
        assessment = _quiz(zf, variant)
        for _, part, nodes in _by_part(variant, _items(assessment), False):
            numerical = [n for n in nodes if _fields(n)["question_type"] == "numerical_question"]
            for value, node in zip(part.values, numerical):
                _assert_tolerance(node, value)
                checked += 1
    assert checked, "the demo has numeric parts (cross-entropy declares a number)"


def _assert_tolerance(node: etree._Element, value: Value) -> None:
    assert node.find("q:presentation/q:response_str/q:render_fib", NS).get("fibtype") == "Decimal"
    [either] = node.findall("q:resprocessing/q:respcondition/q:conditionvar/q:or", NS)
    assert float(either.findtext("q:varequal", namespaces=NS)) == pytest.approx(value.value)
    assert float(either.findtext("q:and/q:vargte", namespaces=NS)) == pytest.approx(value.value - value.tolerance)
    assert float(either.findtext("q:and/q:varlte", namespaces=NS)) == pytest.approx(value.value + value.tolerance)
    assert either.find("q:and/q:vargt", NS) is None   # Canvas would read a strict bound as significant digits


def test_choices_keep_option_feedback_and_multiple_answers_need_exactly_the_right_options(tmp_path: Path) -> None:
    build = _sampled(IMPERIAL)
    zf = _package(build, tmp_path)
    multiple = 0
    for variant in build.variants:
        assessment = _quiz(zf, variant)
        for _, part, nodes in _by_part(variant, _items(assessment), False):
            for node in nodes:
                if _fields(node)["question_type"] in CHOICE:
                    multiple += _assert_choices(node, part)
    assert multiple, "Imperial has parts with several correct options"


def _assert_choices(node: etree._Element, part: ItemPart) -> bool:
    """Options as labels with Canvas's numeric answer ids, each reason its feedback, the key's
    options (and no others) scoring 100. True for a multiple-answers question."""
    kind = _fields(node)["question_type"]
    lid = node.find("q:presentation/q:response_lid", NS)
    assert lid.get("rcardinality") == ("Multiple" if part.multiple else "Single")
    assert kind == ("multiple_answers_question" if part.multiple else "multiple_choice_question")
    ids = [label.get("ident") for label in lid.iterfind("q:render_choice/q:response_label", NS)]
    assert ids == _fields(node)["original_answer_ids"].split(",") and all(i.isdigit() for i in ids)
    assert len(ids) == len(part.choices)
    for ident, choice in zip(ids, part.choices):
        if choice.why:
            assert _text(_feedback(node, f"{ident}_fb")) == _text(Converter(mathml, lambda t: "")(choice.why))
            shown = node.find(f"q:resprocessing/q:respcondition/q:displayfeedback[@linkrefid='{ident}_fb']", NS)
            assert shown is not None and shown.getparent().findtext("q:conditionvar/q:varequal", namespaces=NS) == ident
    right = {i for i, c in zip(ids, part.choices) if c.correct}
    assert _score(node, right) == 100
    assert _score(node, set(ids) - right) < 100
    return part.multiple


@pytest.mark.parametrize("spec", [IMPERIAL, OSLO], ids=lambda p: p.stem)
def test_essays_carry_the_model_answer_and_worked_solution(spec: Path, tmp_path: Path) -> None:
    build = _sampled(spec)
    zf = _package(build, tmp_path)
    essays = 0
    for assessment, _ in _quizzes(zf):
        for node in _items(assessment):
            if _fields(node)["question_type"] == "essay_question":
                assert node.find("q:presentation/q:response_str/q:render_fib", NS) is not None
                assert _text(_feedback(node, "general_fb")).startswith("Model answer:")
                assert _fields(node)["original_answer_ids"] == ""
                essays += 1
    for variant in build.variants:
        assessment = _quiz(zf, variant)
        for item, part, nodes in _by_part(variant, _items(assessment), False):
            if part.kind == "open" and part.solution.strip():
                solution = _text(Converter(mathml, lambda t: "")(part.solution))
                assert solution in _text(_feedback(nodes[0], "general_fb")), part.label
    assert essays


def test_optional_sections_are_a_quiz_of_their_own_left_out_of_the_exams_total(tmp_path: Path) -> None:
    build = _sampled(OSLO)
    assert any(p.optional for v in build.variants for i in v.items for p in i.parts), "Oslo has a PhD section"
    zf = _package(build, tmp_path)
    _check_quizzes(build, zf)   # the main quiz's total leaves the optional marks out
    optional = [(a, m) for a, m in _quizzes(zf) if "optional" in a.get("title")]
    assert len(optional) == len(build.variants)
    for assessment, meta in optional:
        groups = assessment.findall("q:section/q:section", NS)
        assert groups and all("Optional" in g.get("title") and "PhD" in g.get("title") for g in groups)
        assert all(item.getparent() in groups for item in _items(assessment))
        assert "not counted" in meta.findtext("c:description", namespaces=NS)


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_the_keys_answer_scores_full_marks_and_a_wrong_one_does_not(spec: Path, tmp_path: Path) -> None:
    zf = _package(_sampled(spec), tmp_path)
    scored = 0
    for assessment, _ in _quizzes(zf):
        for node in _items(assessment):
            kind = _fields(node)["question_type"]
            if kind == "essay_question":
                assert _score(node, "anything") == 0   # graded by hand
                continue
            right, wrong = _key(node)
            assert _score(node, right) == 100 and _score(node, wrong) < 100, kind
            scored += 1
    assert scored


# Every kind of part, built by hand (what the bank declares may change under us)

def _hand_build() -> ExportBuild:
    spec = load_spec(DEMO)
    spec = replace(spec, sections=(spec.sections[0], replace(spec.sections[1], optional="PhD candidates only")))
    options = (RenderedOption("$x^2$", True, "Squares are never negative."), RenderedOption("$-1$", False, "Negative."),
               RenderedOption("$4$", True, ""), RenderedOption(r"\texttt{None}", False, "Not a number."))
    figure = r"\begin{tikzpicture}\draw (0,0) -- (1,1);\end{tikzpicture}"
    parts = (
        ItemPart("1a", "a", 2.0, "numeric", f"How big is $y$? {figure}", r"Because $y = 2 \cdot 0.25$.", "$0.5$",
                 values=(Value(0.5, 5e-5, "0.5"),)),
        ItemPart("1b", "b", 3.0, "numeric-multi", "Give the shape.", "It is $(2, 3)$ and so on.", "$(2, 3)$",
                 values=(Value(2.0, 0.0, "2", "rows"), Value(3.0, 0.0, "3", "columns"),
                         Value(-1.25, 0.005, "-1.25", "bias")), manual=1.0),
        ItemPart("1c", "c", 4.0, "choice", "Which are squares?", "Squares are $x^2$.", "A, C", choices=options,
                 multiple=True, manual=0.5),
        ItemPart("1d", "d", 1.0, "choice", "Which one?", "None of them.", "none", choices=tuple(
            replace(o, correct=False) for o in options)),
        ItemPart("1e", "e", 2.5, "choice", "Pick the square.", "It is $x^2$.", "A",
                 choices=(options[0], options[1])),
        ItemPart("1f", "f", 5.0, "open", "Explain & argue $a<b$.", r"Since $a<b$, \emph{quite} so.", "Yes."))
    phd = ItemPart("2a", "a", 3.0, "numeric", "Optional: how much?", "It is $7$.", "$7$",
                   values=(Value(7.0, 0.0, "7"),), optional=True)
    items = (Item(1, "fam", "A title", "original 1", spec.sections[0].title, "A stem with $z$.", "Stem work.", parts),
             Item(2, "phd", "PhD question", "original 2", spec.sections[1].title, "", "", (phd,)))
    return ExportBuild(spec, 7, (ExportVariant(1, "ABC-DEF", "s-ada", "Ada Lovelace", items),))


def test_every_kind_of_part_built_by_hand(tmp_path: Path) -> None:
    build = _hand_build()
    zf = _package(build, tmp_path)
    _check_quizzes(build, zf)
    [(main, meta), (extra, extra_meta)] = _quizzes(zf)
    assert meta.findtext("c:points_possible", namespaces=NS) == "17.5"
    assert extra_meta.findtext("c:points_possible", namespaces=NS) == "3"
    items = _items(main)
    types = [_fields(n)["question_type"] for n in items]
    assert types == ["numerical_question", *["numerical_question"] * 3, "essay_question",
                     "multiple_answers_question", "essay_question", "essay_question", "multiple_choice_question",
                     "essay_question"]
    assert [_fields(n)["points_possible"] for n in items[1:5]] == ["0.67", "0.67", "0.66", "1"]
    [part_a, part_b, part_c, *_] = build.variants[0].items[0].parts
    _assert_tolerance(items[0], part_a.values[0])
    for node, value in zip(items[1:4], part_b.values):
        _assert_tolerance(node, value)
        assert f"Give {value.label} (value" in _text(_html(node.find("q:presentation/q:material/q:mattext", NS)))
        assert value.label in node.get("title")
    assert _assert_choices(items[5], part_c)
    assert _assert_choices(items[8], build.variants[0].items[0].parts[4]) is False
    hand = _text(_html(items[4].find("q:presentation/q:material/q:mattext", NS)))
    assert "Give the reasoning this part asks for." in hand and "by hand" in items[4].get("title")
    essay = _text(_feedback(items[9], "general_fb"))
    assert essay.startswith("Model answer: Yes. Stem work.") and essay.endswith("quite so.")
    assert "Answer: " in _text(_feedback(items[0], "general_fb"))


def test_text_is_whitelisted_html_with_mathml_and_pictures_in_the_package(tmp_path: Path) -> None:
    zf = _package(_hand_build(), tmp_path)
    pictures = [n for n in zf.namelist() if n.startswith("images/")]
    assert len(pictures) == 1 and pictures[0].endswith(".png")
    maths = 0
    for assessment, _ in _quizzes(zf):
        for text in assessment.iter(f"{{{QTI12}}}mattext"):
            fragment = lhtml.fragment_fromstring(_html(text), create_parent="div")
            for el in fragment.iter():
                if not isinstance(el.tag, str):
                    continue
                assert not any(a == "style" or a.startswith("on") for a in el.attrib), el.attrib
                if el.tag == "img":
                    assert el.get("src").removeprefix(FILEBASE) in pictures and el.get("alt")
            maths += len(fragment.xpath("//*[local-name()='math']"))
    assert maths


def test_hostile_names_labels_and_maths_stay_text_and_identifiers_stay_unique(tmp_path: Path) -> None:
    hostile = r"<script>x()</script> ]]>& $\style{color:red}{y}$ $\href{http://evil.example}{z}$"
    build = _hand_build()
    variant = build.variants[0]
    first = variant.items[0]
    parts = tuple(replace(p, own=own, question=p.question + " " + hostile,
                          values=tuple(replace(v, label=f"<img src=x onerror=y()> {v.label}") for v in p.values))
                  for p, own in zip(first.parts, ["a.b", "a-b", "a b", "a/b", "a:b", "a b"]))
    items = (replace(first, title=hostile, parts=parts), *variant.items[1:])
    build = replace(build, variants=(replace(variant, student_name="<b>Ada</b> ]]>&", items=items),))
    zf = _package(build, tmp_path)
    idents = [i.get("ident") for a, _ in _quizzes(zf) for i in _items(a)]
    assert len(idents) == len({i.casefold() for i in idents}) == 11
    for assessment, _ in _quizzes(zf):
        assert "<b>Ada</b> ]]>&" in assessment.get("title")   # an attribute: text, whatever it holds
        for text in assessment.iter(f"{{{QTI12}}}mattext"):
            fragment = lhtml.fragment_fromstring(_html(text), create_parent="div")
            assert not fragment.findall(".//script") and not fragment.findall(".//a")
            for el in fragment.iter():
                if isinstance(el.tag, str):
                    assert not any(a == "style" or a.startswith("on") for a in el.attrib), el.attrib
                    assert el.tag != "img" or el.get("src").startswith(FILEBASE)
    _check_quizzes(build, zf)


# A small interpreter of the QTI 1.2 response conditions Canvas writes

def _key(item: etree._Element) -> tuple[object, object]:
    """The key's response and a wrong one, read from the item's scoring condition."""
    lid = item.find("q:presentation/q:response_lid", NS)
    if lid is None:
        exact = float(item.findtext(".//q:respcondition[q:setvar]/q:conditionvar/q:or/q:varequal", namespaces=NS))
        return str(exact), str(exact + 1.0)
    ids = [label.get("ident") for label in lid.iterfind(".//q:response_label", NS)]
    if lid.get("rcardinality") == "Multiple":
        right = {ident for ident in ids if not _inside_not(item, ident)}
    else:
        right = {ident for ident in ids if _score(item, {ident}) == 100}
    return right, set(ids) - right


def _inside_not(item: etree._Element, ident: str) -> bool:
    return any(v.text == ident and v.getparent().tag == f"{{{QTI12}}}not"
               for v in item.iterfind(".//q:respcondition[q:setvar]//q:varequal", NS))


def _score(item: etree._Element, response: object) -> float:
    score = 0.0
    for condition in item.iterfind("q:resprocessing/q:respcondition", NS):
        [test] = condition.find("q:conditionvar", NS)
        if not _true(test, response):
            continue
        for setvar in condition.iterfind("q:setvar", NS):
            assert setvar.get("varname") == "SCORE" and setvar.get("action") == "Set"
            score = float(setvar.text)
        for shown in condition.iterfind("q:displayfeedback", NS):
            assert item.find(f"q:itemfeedback[@ident='{shown.get('linkrefid')}']", NS) is not None
        if condition.get("continue") == "No":
            break
    return score


def _true(test: etree._Element, response: object) -> bool:
    name = etree.QName(test).localname
    if name == "other":
        return True
    if name in ("and", "or"):
        results = [_true(t, response) for t in test]
        return all(results) if name == "and" else any(results)
    if name == "not":
        return not _true(test[0], response)
    if isinstance(response, set):
        assert name == "varequal"
        return test.text in response
    try:
        given = float(response)
    except ValueError:
        return False
    limit = float(test.text)
    return {"varequal": given == limit, "vargte": given >= limit, "varlte": given <= limit}[name]
