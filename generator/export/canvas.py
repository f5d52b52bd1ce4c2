"""Canvas quiz package: QTI 1.2 with Canvas's own metadata, for Canvas's "QTI .zip file" import
(Classic Quizzes). Canvas reads QTI 1.2 with its metadata whole; its QTI 2.1 import gives every
question 1 point, grades numbers as exact strings and drops worked solutions and option feedback.

Layout, as Canvas's own QTI export writes it (lib/cc/qti/qti_generator.rb `generate_qti_only`,
qti_manifest.rb) and its importer finds it (Qti::Converter, quiz_metadata_converter.rb):
`imsmanifest.xml`; per quiz `<id>/<id>.xml` (resource type `imsqti_xmlv1p2`), which depends on
`<id>/assessment_meta.xml` (`associatedcontent/imscc_xmlv1p1/learning-application-resource`: title,
description, points_possible, quiz settings); figures as PNG files in `images/`, each a `webcontent`
resource, referenced as `$IMS-CC-FILEBASE$/images/...` (as text2qti does).

One quiz per variant (per student with a roster), one item per part in exam order. Each item has
Canvas's `question_type`, `points_possible` (the part's marks) and `original_answer_ids`
(lib/cc/qti/qti_items.rb), its text as HTML in `mattext texttype="text/html"`, maths as MathML:
- numeric → `numerical_question`, an exact answer with its margin (the printed precision's half unit)
  written as Canvas writes one: `varequal` exact, or `vargte` exact − margin and `varlte` exact + margin;
- several labelled values → one `numerical_question` per value, labelled, each with its share of the
  marks (shares in hundredths that add up to the part's marks): `fill_in_multiple_blanks` and
  `multiple_dropdowns` grade text, not numbers;
- multiple choice → `multiple_choice_question`; several correct options → `multiple_answers_question`;
  options shuffled, each option's reason as its feedback (`<answer id>_fb`);
- open parts, and a part's share graded by hand (`ItemPart.manual`) → `essay_question`;
- every item's worked solution is its general feedback (`general_fb`, Canvas's "neutral comments"),
  the model answer first for an essay, the answer last for the others. Quizzes are written with
  `hide_results` = always, so students see no feedback until the instructor lets them; with several
  variants, `only_visible_to_overrides` = true, so each quiz is seen only by the students it is
  assigned to (one per student with a roster), never by the whole course.

Multiple answers: Canvas scores every multiple-answers question with partial credit
(Quizzes::QuizQuestion::MultipleAnswersQuestion, UserAnswer#score): each correct option ticked earns
points/(correct options), each wrong option ticked loses points/(correct options), never below zero;
a question's `incorrect_dock` would set the loss per wrong option, but neither Canvas's editor nor
its importer sets it. examgen's rule loses marks/(wrong options) per wrong option ticked (also never
below zero), so the two agree on every answer with no wrong option ticked, and where there are as
many wrong options as right ones; otherwise Canvas takes off more (or less) per wrong tick.

Optional sections (`ItemPart.optional`, e.g. PhD only): Canvas makes a quiz's points the sum of its
questions' points (Quizzes::Quiz#set_defaults, count_points_possible), and a question group gives
all its questions the same points (`points_per_item`), so no question can be in a quiz and out of
its total. Their items are
therefore a second quiz per variant, "… optional …", in a section titled as optional, each worth
its marks, and the main quiz's total is the PDFs' total.
"""
from __future__ import annotations

import html as htmllib
from dataclasses import dataclass
from decimal import Decimal, localcontext
from pathlib import Path

from lxml import etree

from .figures import Figures
from .items import ExportBuild, ExportVariant, Item, ItemPart
from .latexhtml import Converter
from .markup import FileFigures, mathml
from .qti import slug, unique, write_package
from .values import Value

QTI12 = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
QTI12_LOCATION = f"{QTI12} http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd"
CANVAS = "http://canvas.instructure.com/xsd/cccv1p0"
CANVAS_LOCATION = f"{CANVAS} https://canvas.instructure.com/xsd/cccv1p0.xsd"
CP = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
CP_LOCATION = f"{CP} http://www.imsglobal.org/xsd/imscp_v1p1.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
QTI_TYPE = "imsqti_xmlv1p2"                                              # CC::CCHelper::QTI_ASSESSMENT_TYPE
META_TYPE = "associatedcontent/imscc_xmlv1p1/learning-application-resource"  # CC::CCHelper::LOR
META = "assessment_meta.xml"
FILEBASE = "%24IMS-CC-FILEBASE%24/"   # Canvas's token for the package's files ($IMS-CC-FILEBASE$)
IMAGES = "images/"
HAND = r"\par Give the reasoning this part asks for."
PRECISION = 800   # digits: a float's from 1e308 down to 5e-324, so sums and bounds of floats are exact


@dataclass(frozen=True)
class Question:
    """One Canvas question: a part, a value of a part, or a part's share graded by hand."""

    type: str
    suffix: str              # of the item's identifier: "", "-v2", "-hand"
    label: str               # what the title adds to the part's label (a value's name, "by hand")
    points: Decimal
    text: str                # HTML
    feedback: str            # HTML: the general ("neutral") feedback
    value: Value | None = None
    choices: tuple[tuple[str, bool, str], ...] = ()   # each option's HTML, whether right, its reason's HTML


CHOICE_TYPES = ("multiple_choice_question", "multiple_answers_question")


def write_canvas(build: ExportBuild, out: Path, figures: Figures) -> list[Path]:
    """`<spec>-canvas.zip`, for Canvas's "QTI .zip file" import."""
    files: dict[str, bytes] = {}
    resources: list[tuple[str, str, str | None, list[str], list[str]]] = []
    taken: set[str] = set()
    for variant in build.variants:
        graded = [(i, p) for i in variant.items for p in i.parts if not p.optional]
        optional = [(i, p) for i in variant.items for p in i.parts if p.optional]
        for entries, extra in ((graded, False), (optional, True)):
            if not entries and (extra or optional):
                continue
            quiz = unique(slug(f"Q-{variant.name}" + ("-optional" if extra else "")), taken)
            xml, points = assessment(build, variant, quiz, entries, figures, taken, extra, files)
            files[f"{quiz}/{quiz}.xml"] = xml
            files[f"{quiz}/{META}"] = assessment_meta(build, variant, quiz, points, extra, entries)
            meta = unique(f"{quiz}-meta", taken)
            resources.append((QTI_TYPE, quiz, None, [f"{quiz}/{quiz}.xml"], [meta]))
            resources.append((META_TYPE, meta, f"{quiz}/{META}", [f"{quiz}/{META}"], []))
    for name in sorted(n for n in files if n.startswith(IMAGES)):
        resources.append(("webcontent", slug(f"R-{name[len(IMAGES):]}"), name, [name], []))
    files["imsmanifest.xml"] = manifest(build, resources)
    return [write_package(out / f"{build.spec.id}-canvas.zip", files)]


class _Html:
    """LaTeX → XHTML with MathML; figures are files in images/, referenced the way Canvas resolves them."""

    def __init__(self, figures: Figures) -> None:
        self.pictures = FileFigures(figures, IMAGES)
        self.convert = Converter(mathml, self.pictures)

    def __call__(self, tex: str) -> str:
        return self._files(self.convert(tex))

    def inline(self, tex: str) -> str:
        return self._files(self.convert.inline(tex))

    @staticmethod
    def _files(xhtml: str) -> str:
        """The whitelist lets only src="images/figure-<hash>.png" through: point it into the package."""
        return xhtml.replace(f'src="{IMAGES}figure-', f'src="{FILEBASE}{IMAGES}figure-')


def questions(item: Item, part: ItemPart, html: _Html) -> list[Question]:
    """The Canvas questions of one part, in order (see the module's docstring)."""
    kind = part.kind if part.kind != "choice" or any(c.correct for c in part.choices) else "open"
    stem = html(item.stem) + html(part.question)
    worked = html(item.stem_solution) + html(part.solution)
    model = html(rf"\textbf{{Model answer:}} {part.answer}") + worked
    if kind == "open":
        return [Question("essay_question", "", "", _decimal(part.marks), _div(stem), model)]
    answer = worked + html(rf"\textbf{{Answer:}} {part.shuffled_answer}")
    auto = _decimal(part.auto_marks)
    if kind == "choice":
        qtype = CHOICE_TYPES[1] if part.multiple else CHOICE_TYPES[0]
        choices = tuple((html.inline(c.text), c.correct, html(c.why)) for c in part.choices)
        out = [Question(qtype, "", "", auto, _div(stem), answer, choices=choices)]
    else:
        count = len(part.values)
        out = [_numerical_question(stem, answer, value, share, i, count)
               for i, (value, share) in enumerate(zip(part.values, _shares(auto, count)), start=1)]
    if part.manual:
        hand = _div(html(item.stem) + html(part.question + HAND))
        out.append(Question("essay_question", "-hand", "by hand", _decimal(part.manual), hand, model))
    return out


def _numerical_question(stem: str, answer: str, value: Value, share: Decimal, i: int, count: int) -> Question:
    """Value `i` of `count`: with several, each is its own question, named in its text and title."""
    if count == 1:
        return Question("numerical_question", "", "", share, _div(stem), answer, value=value)
    name = value.label or f"value {i} of {count}"
    which = f" (value {i} of {count})" if value.label else ""
    ask = f'<div class="p">Give <strong>{htmllib.escape(name, quote=False)}</strong>{which}.</div>'
    return Question("numerical_question", f"-v{i}", name, share, _div(stem + ask), answer, value=value)


def _words(tex: str) -> str:
    """LaTeX text (a title, a reason) as plain text: what the converter shows, maths as its LaTeX."""
    try:
        xhtml = Converter(lambda latex, display: htmllib.escape(latex, quote=False), lambda tikz: "").inline(tex)
    except ValueError:
        return tex
    return " ".join("".join(etree.fromstring(f"<t>{xhtml}</t>").itertext()).split())


def _div(body: str) -> str:
    return f"<div>{body}</div>"


def _decimal(x: float) -> Decimal:
    return Decimal(repr(float(x)))


def _shares(total: Decimal, count: int) -> list[Decimal]:
    """`total` in `count` shares of whole hundredths (finer if `total` is) that add up to it exactly."""
    unit = Decimal(1).scaleb(min(total.as_tuple().exponent, -2))
    units = int(total / unit)
    return [(units // count + (1 if i < units % count else 0)) * unit for i in range(count)]


def _plain(x: Decimal) -> str:
    """A decimal as Canvas reads it: no exponent, no trailing zeros."""
    with localcontext() as exactly:
        exactly.prec = PRECISION
        return format(x.normalize(), "f") if x else "0"


def _q(tag: str) -> str:
    return f"{{{QTI12}}}{tag}"


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, _q(tag), {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def assessment(build: ExportBuild, variant: ExportVariant, quiz: str, entries: list[tuple[Item, ItemPart]],
               figures: Figures, taken: set[str], optional: bool, files: dict[str, bytes]) -> tuple[bytes, Decimal]:
    """One quiz's QTI 1.2 (qti_generator.rb `generate_assessment`): its items in exam order, an
    optional quiz's in a section per exam section titled as optional; also the quiz's points. Its
    pictures go into `files`."""
    root = etree.Element(_q("questestinterop"), nsmap={None: QTI12, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", QTI12_LOCATION)
    test = _el(root, "assessment", ident=quiz, title=quiz_title(build, variant, optional, entries))
    _field(_el(test, "qtimetadata"), "cc_maxattempts", "1")
    section = _el(test, "section", ident="root_section")
    groups: dict[int, etree._Element] = {}
    total = Decimal(0)
    for item, part in entries:
        parent = section
        if optional:
            if item.number not in groups:
                why = _words(build.spec.sections[item.number - 1].optional)
                groups[item.number] = _el(section, "section", ident=f"{quiz}-s{item.number}",
                                          title=f"Optional: {_words(item.section)} ({why}); not in the exam's total")
            parent = groups[item.number]
        html = _Html(figures)
        for question in questions(item, part, html):
            ident = unique(slug(f"I-{item.family}-{part.own or 'q'}{question.suffix}-{variant.name}"), taken)
            _item(parent, variant, item, part, question, ident)
            total += question.points
        files.update({f"{IMAGES}{name}": data for name, data in html.pictures.used.items()})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True), total


def quiz_title(build: ExportBuild, variant: ExportVariant, optional: bool, entries: list[tuple[Item, ItemPart]]) -> str:
    who = f", {variant.student_name}" if variant.student_name else ""
    if not optional:
        return f"{_words(build.spec.title)} ({variant.code}{who})"
    sections = ", ".join(dict.fromkeys(_words(item.section) for item, _ in entries))
    return f"{_words(build.spec.title)}: optional {sections}, not in the total ({variant.code}{who})"


def _field(meta: etree._Element, label: str, entry: str) -> None:
    field = _el(meta, "qtimetadatafield")
    _el(field, "fieldlabel", label)
    _el(field, "fieldentry", entry)


def _item(parent: etree._Element, variant: ExportVariant, item: Item, part: ItemPart, question: Question,
          ident: str) -> None:
    """One item as Canvas's exporter writes one (qti_items.rb `add_question`, `resprocessing`)."""
    label = f"{part.label} {question.label}".strip()
    node = _el(parent, "item", ident=ident, title=f"{_words(item.title)} ({label}, {variant.code})")
    answers = _answer_ids(question)
    meta = _el(_el(node, "itemmetadata"), "qtimetadata")
    _field(meta, "question_type", question.type)
    _field(meta, "points_possible", _plain(question.points))
    _field(meta, "original_answer_ids", ",".join(answers))
    _field(meta, "assessment_question_identifierref", f"{ident}-aq")
    presentation = _el(node, "presentation")
    _mattext(_el(presentation, "material"), question.text)
    processing = _el(node, "resprocessing")
    _el(_el(processing, "outcomes"), "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")
    _respcondition(processing, "Yes", _other, feedback="general_fb")
    if question.type in CHOICE_TYPES:
        _choices(presentation, processing, question, answers)
    elif question.type == "numerical_question":
        _numerical(presentation, processing, question)
    else:   # essay_question
        response = _el(presentation, "response_str", ident="response1", rcardinality="Single")
        _el(_el(response, "render_fib"), "response_label", ident="answer1", rshuffle="No")
        _respcondition(processing, "No", _other)
    _feedback(node, "general_fb", question.feedback)
    for answer, (_, _, why) in zip(answers, question.choices):
        _feedback(node, f"{answer}_fb", why)


def _answer_ids(question: Question) -> list[str]:
    """Canvas's answer ids are numbers: its importer reads them back with to_i (0 makes a random one)."""
    if question.type in CHOICE_TYPES:
        return [str(1000 + i) for i in range(1, len(question.choices) + 1)]
    return ["1001"] if question.type == "numerical_question" else []


def _choices(presentation: etree._Element, processing: etree._Element, question: Question, answers: list[str]) -> None:
    """`response_lid` with one label per option; each reason shown when its option is ticked; full
    SCORE for exactly the right options (Canvas reads the right ones from it and scores the rest itself)."""
    multiple = question.type == "multiple_answers_question"
    lid = _el(presentation, "response_lid", ident="response1", rcardinality="Multiple" if multiple else "Single")
    render = _el(lid, "render_choice")
    for answer, (text, _, _) in zip(answers, question.choices):
        _mattext(_el(_el(render, "response_label", ident=answer), "material"), text)
    for answer, (_, _, why) in zip(answers, question.choices):
        if why:
            _respcondition(processing, "Yes", lambda c, a=answer: _el(c, "varequal", a, respident="response1"),
                           feedback=f"{answer}_fb")

    def right(conditionvar: etree._Element) -> None:
        if not multiple:
            _el(conditionvar, "varequal", answers[[c[1] for c in question.choices].index(True)], respident="response1")
            return
        both = _el(conditionvar, "and")
        for answer, (_, correct, _) in zip(answers, question.choices):
            _el(both if correct else _el(both, "not"), "varequal", answer, respident="response1")
    _respcondition(processing, "No", right, score="100")


def _numerical(presentation: etree._Element, processing: etree._Element, question: Question) -> None:
    """An exact answer with its margin, as Canvas writes one (`numerical_resprocessing`): the exact
    value, or within [exact − margin, exact + margin]; `vargte`, never `vargt` (which Canvas's importer
    would read as a significant-digits answer)."""
    response = _el(presentation, "response_str", ident="response1", rcardinality="Single")
    _el(_el(response, "render_fib", fibtype="Decimal"), "response_label", ident="answer1")
    exact, margin = _decimal(question.value.value), _decimal(question.value.tolerance)
    with localcontext() as exactly:
        exactly.prec = PRECISION
        low, high = exact - margin, exact + margin

    def within(conditionvar: etree._Element) -> None:
        either = _el(conditionvar, "or")
        _el(either, "varequal", _plain(exact), respident="response1")
        both = _el(either, "and")
        _el(both, "vargte", _plain(low), respident="response1")
        _el(both, "varlte", _plain(high), respident="response1")
    _respcondition(processing, "No", within, score="100")


def _other(conditionvar: etree._Element) -> None:
    _el(conditionvar, "other")


def _respcondition(processing: etree._Element, continue_: str, test, feedback: str | None = None,
                   score: str | None = None) -> None:
    condition = _el(processing, "respcondition", continue_=continue_)
    test(_el(condition, "conditionvar"))
    if score is not None:
        _el(condition, "setvar", score, action="Set", varname="SCORE")
    if feedback:
        _el(condition, "displayfeedback", feedbacktype="Response", linkrefid=feedback)


def _mattext(material: etree._Element, xhtml: str) -> None:
    _el(material, "mattext", xhtml, texttype="text/html")


def _feedback(node: etree._Element, ident: str, xhtml: str) -> None:
    if xhtml:
        _mattext(_el(_el(_el(node, "itemfeedback", ident=ident), "flow_mat"), "material"), xhtml)


def assessment_meta(build: ExportBuild, variant: ExportVariant, quiz: str, points: Decimal, optional: bool,
                    entries: list[tuple[Item, ItemPart]]) -> bytes:
    """The quiz's Canvas settings (qti_generator.rb `generate_assessment_meta`, read by
    quiz_metadata_converter.rb): a graded quiz, unpublished, one attempt, options shuffled, results
    (and so the worked solutions) hidden until the instructor shows them."""
    root = etree.Element(f"{{{CANVAS}}}quiz", nsmap={None: CANVAS, "xsi": XSI}, identifier=quiz)
    root.set(f"{{{XSI}}}schemaLocation", CANVAS_LOCATION)
    spec = build.spec
    about = ", ".join(s for s in (spec.institution, spec.course, spec.session, spec.date, spec.duration) if s)
    lines = [*([_words(f"{about}.")] if about else []), f"Exam code {variant.code}."]
    if optional:
        whys = dict.fromkeys(_words(build.spec.sections[item.number - 1].optional) for item, _ in entries)
        lines.append(f"Optional section ({'; '.join(whys)}): not counted in the exam's total.")
    description = "".join(f"<p>{htmllib.escape(line, quote=False)}</p>" for line in lines)
    if spec.instructions and not optional:
        items = "".join(f"<li>{htmllib.escape(_words(i), quote=False)}</li>" for i in spec.instructions)
        description += f"<ul>{items}</ul>"
    for tag, text in (("title", quiz_title(build, variant, optional, entries)), ("description", description),
                      ("shuffle_answers", "true"), ("scoring_policy", "keep_highest"), ("hide_results", "always"),
                      ("quiz_type", "assignment"), ("points_possible", _plain(points)),
                      ("show_correct_answers", "false"), ("anonymous_submissions", "false"),
                      ("could_be_locked", "false"), ("allowed_attempts", "1"), ("one_question_at_a_time", "false"),
                      ("cant_go_back", "false"), ("available", "false"), ("one_time_results", "false"),
                      ("show_correct_answers_last_attempt", "false"),
                      # several variants: each quiz is seen only by the students it is assigned to,
                      # so publishing one never shows a student another variant or a classmate's name
                      ("only_visible_to_overrides", "true" if len(build.variants) > 1 else "false")):
        etree.SubElement(root, f"{{{CANVAS}}}{tag}").text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def manifest(build: ExportBuild, resources: list[tuple[str, str, str | None, list[str], list[str]]]) -> bytes:
    """imsmanifest.xml as Canvas's QTI export writes it (qti_manifest.rb): each quiz's QTI depends on
    its assessment_meta.xml; each picture is a webcontent resource."""
    root = etree.Element(f"{{{CP}}}manifest", nsmap={None: CP, "xsi": XSI},
                         identifier=f"M-{slug(build.spec.id)}-{slug(build.variants[0].code)}-canvas")   # never the seed
    root.set(f"{{{XSI}}}schemaLocation", CP_LOCATION)
    meta = etree.SubElement(root, f"{{{CP}}}metadata")
    etree.SubElement(meta, f"{{{CP}}}schema").text = "IMS Content"
    etree.SubElement(meta, f"{{{CP}}}schemaversion").text = "1.1.3"
    etree.SubElement(root, f"{{{CP}}}organizations")
    holder = etree.SubElement(root, f"{{{CP}}}resources")
    for kind, ident, href, names, deps in resources:
        res = etree.SubElement(holder, f"{{{CP}}}resource", identifier=ident, type=kind)
        if href:
            res.set("href", href)
        for name in names:
            etree.SubElement(res, f"{{{CP}}}file", href=name)
        for dep in deps:
            etree.SubElement(res, f"{{{CP}}}dependency", identifierref=dep)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
