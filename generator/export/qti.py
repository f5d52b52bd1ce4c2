"""QTI 2.1 content package: one assessmentItem per part and variant, one assessmentTest per variant,
an imsmanifest.xml listing them, zipped.

numeric → textEntryInteraction scored with `equal` and an absolute tolerance; several numbers →
one textEntryInteraction each; multiple choice → choiceInteraction (shuffled, a modalFeedback per
option from its reason); anything else → extendedTextInteraction, the model answer and marking in a
rubricBlock for the scorer. Maths is MathML inside the XHTML (as QTI 2.1 allows); figures are PNG files.
"""
from __future__ import annotations

from dataclasses import replace

import zipfile
from pathlib import Path

from lxml import etree

from .figures import Figures
from .items import ExportBuild, ExportVariant, Item, ItemPart
from .latexhtml import Converter
from .markup import FileFigures, mathml

QTI = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
QTI_LOCATION = f"{QTI} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"
CP_LOCATION = f"{CP} http://www.imsglobal.org/xsd/imscp_v1p1.xsd"


def write_qti(build: ExportBuild, out: Path, figures: Figures) -> list[Path]:
    """`<spec>-qti21.zip`, ready for an LMS's QTI 2.1 import."""
    files: dict[str, bytes] = {}
    resources = []
    taken: set[str] = set()
    for variant in build.variants:
        refs = []
        for item in variant.items:
            for part, suffix in _graded_pieces(item.parts):
                ident = unique(slug(f"I-{item.family}-{part.own or 'q'}{suffix}-{variant.name}"), taken)
                xml, pictures = assessment_item(variant, item, part, figures, ident)
                files[f"{ident}.xml"] = xml
                files.update({f"images/{n}": data for n, data in pictures.items()})
                resources.append(("imsqti_item_xmlv2p1", ident, [f"{ident}.xml", *(f"images/{n}" for n in pictures)], []))
                refs.append((ident, part.optional))
        test_id = unique(f"T-{slug(variant.name)}", taken)
        files[f"{test_id}.xml"] = assessment_test(build, variant, test_id, refs)
        resources.append(("imsqti_test_xmlv2p1", test_id, [f"{test_id}.xml"], [r for r, _ in refs]))
    files["imsmanifest.xml"] = manifest(build, resources)
    return [write_package(out / f"{build.spec.id}-qti21.zip", files)]


def write_package(path: Path, files: dict[str, bytes]) -> Path:
    """A content package: the manifest first, then every file in name order, all dated 1980, so
    the same build zips to the same bytes (QTI 2.1 here, Canvas's QTI 1.2 in canvas.py)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ["imsmanifest.xml", *sorted(n for n in files if n != "imsmanifest.xml")]:
            zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), files[name])
    return path


def _graded_pieces(parts: tuple[ItemPart, ...]) -> list[tuple[ItemPart, str]]:
    """Each part as items: a part with a share graded by hand is two, the graded share and an open
    item for the reasoning, each with its marks (item ids end in `-hand` for the second)."""
    out: list[tuple[ItemPart, str]] = []
    for part in parts:
        if part.manual and part.kind != "open":
            out.append((replace(part, marks=part.auto_marks, manual=0.0), ""))
            out.append((replace(part, kind="open", marks=part.manual, manual=0.0, values=(), choices=(),
                                question=part.question + r"\par Give the reasoning this part asks for."), "-hand"))
        else:
            out.append((part, ""))
    return out


def slug(text: str) -> str:
    """An identifier (xs:NCName) from ASCII letters, digits, - and _ only."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in text)


def unique(ident: str, taken: set[str]) -> str:
    """`ident` (at most 200 characters: it names a file), or `ident-2`, `-3` ... if the package has
    it already, in any case: parts whose labels differ only in punctuation slug alike, and each
    must stay its own item."""
    ident = ident[:200]
    name, n = ident, 1
    while name.casefold() in taken:
        n += 1
        name = f"{ident}-{n}"
    taken.add(name.casefold())
    return name


def _q(tag: str) -> str:
    return f"{{{QTI}}}{tag}"


def _el(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, _q(tag), {k.rstrip("_"): v for k, v in attrs.items()})


def _flow(parent: etree._Element, xhtml: str) -> None:
    """Append converted XHTML (blocks or inline) into a QTI element, in the QTI namespace."""
    wrapper = etree.fromstring(f'<div xmlns="{QTI}">{xhtml}</div>')
    if wrapper.text:
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + wrapper.text
        else:
            parent.text = (parent.text or "") + wrapper.text
    parent.extend(list(wrapper))


def assessment_item(variant: ExportVariant, item: Item, part: ItemPart, figures: Figures, ident: str
                    ) -> tuple[bytes, dict[str, bytes]]:
    """The item `ident`: its XML and the pictures it uses."""
    pictures = FileFigures(figures, "images/")
    html = Converter(mathml, pictures)
    root = etree.Element(_q("assessmentItem"), nsmap={None: QTI, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", QTI_LOCATION)
    for key, value in (("identifier", ident), ("title", f"{item.title} ({part.label}, {variant.code})"),
                       ("adaptive", "false"), ("timeDependent", "false"), ("toolName", "examgen")):
        root.set(key, value)
    kind = part.kind if part.kind != "choice" or any(c.correct for c in part.choices) else "open"
    {"numeric": _numeric_declarations, "numeric-multi": _numeric_declarations,
     "choice": _choice_declaration, "open": _open_declaration}[kind](root, part)
    _outcomes(root, part, kind)
    body = _el(root, "itemBody")
    _flow(body, html(item.stem) + html(part.question))
    {"numeric": _numeric_body, "numeric-multi": _numeric_body, "choice": _choice_body,
     "open": _open_body}[kind](body, part, html)
    {"numeric": _numeric_processing, "numeric-multi": _numeric_processing, "choice": _choice_processing,
     "open": lambda *_: None}[kind](root, part)
    if kind == "choice":
        _choice_feedback(root, part, html)
    feedback = html(item.stem_solution) + html(part.solution) + html(rf"\textbf{{Answer:}} {part.shuffled_answer}")
    if kind != "open":
        solution = _el(root, "modalFeedback", outcomeIdentifier="SOLUTION", identifier="SHOWN", showHide="show")
        _flow(solution, feedback)
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml, pictures.used


def _numeric_declarations(root: etree._Element, part: ItemPart) -> None:
    for i, value in enumerate(part.values, start=1):
        decl = _el(root, "responseDeclaration", identifier=_response(part, i), cardinality="single", baseType="float")
        _el(_el(decl, "correctResponse"), "value").text = repr(value.value)


def _response(part: ItemPart, i: int) -> str:
    return "RESPONSE" if len(part.values) == 1 else f"RESPONSE_{i}"


def _choice_declaration(root: etree._Element, part: ItemPart) -> None:
    decl = _el(root, "responseDeclaration", identifier="RESPONSE", baseType="identifier",
               cardinality="multiple" if part.multiple else "single")
    correct = _el(decl, "correctResponse")
    for i, choice in enumerate(part.choices, start=1):
        if choice.correct:
            _el(correct, "value").text = f"C{i}"
    if part.multiple:
        right = sum(c.correct for c in part.choices)
        wrong = len(part.choices) - right
        mapping = _el(decl, "mapping", lowerBound="0", upperBound=f"{part.marks:g}", defaultValue="0")
        for i, choice in enumerate(part.choices, start=1):
            worth = part.marks / right if choice.correct else -part.marks / max(wrong, 1)
            _el(mapping, "mapEntry", mapKey=f"C{i}", mappedValue=repr(worth))


def _open_declaration(root: etree._Element, part: ItemPart) -> None:
    _el(root, "responseDeclaration", identifier="RESPONSE", cardinality="single", baseType="string")


def _outcomes(root: etree._Element, part: ItemPart, kind: str) -> None:
    score = _el(root, "outcomeDeclaration", identifier="SCORE", cardinality="single", baseType="float")
    _el(_el(score, "defaultValue"), "value").text = "0"
    top = _el(root, "outcomeDeclaration", identifier="MAXSCORE", cardinality="single", baseType="float")
    _el(_el(top, "defaultValue"), "value").text = f"{part.marks:g}"
    if kind == "open":
        return
    _el(root, "outcomeDeclaration", identifier="SOLUTION", cardinality="single", baseType="identifier")
    if kind == "choice":
        _el(root, "outcomeDeclaration", identifier="FEEDBACK", baseType="identifier",
            cardinality="multiple" if part.multiple else "single")


def _numeric_body(body: etree._Element, part: ItemPart, html: Converter) -> None:
    block = _el(body, "div")
    for i, _ in enumerate(part.values, start=1):
        line = _el(block, "div")
        value = part.values[i - 1]
        line.text = f"{value.label}: " if value.label and len(part.values) > 1 else \
            f"Value {i}: " if len(part.values) > 1 else "Answer: "
        _el(line, "textEntryInteraction", responseIdentifier=_response(part, i), expectedLength="12")


def _choice_body(body: etree._Element, part: ItemPart, html: Converter) -> None:
    interaction = _el(body, "choiceInteraction", responseIdentifier="RESPONSE", shuffle="true",
                      maxChoices="0" if part.multiple else "1")
    for i, choice in enumerate(part.choices, start=1):
        _flow(_el(interaction, "simpleChoice", identifier=f"C{i}"), html.inline(choice.text))


def _open_body(body: etree._Element, part: ItemPart, html: Converter) -> None:
    _el(body, "extendedTextInteraction", responseIdentifier="RESPONSE", expectedLines="10")
    rubric = _el(body, "rubricBlock", view="scorer")
    _flow(rubric, html(rf"\textbf{{Model answer:}} {part.answer}") + html(part.solution))


def _numeric_processing(root: etree._Element, part: ItemPart) -> None:
    """SCORE adds each right value's share of the marks; SOLUTION shows the worked solution."""
    rp = _el(root, "responseProcessing")
    share = part.marks / len(part.values)
    for i, value in enumerate(part.values, start=1):
        branch = _el(_el(rp, "responseCondition"), "responseIf")
        equal = _el(branch, "equal", toleranceMode="absolute", tolerance=f"{value.tolerance!r} {value.tolerance!r}")
        _el(equal, "variable", identifier=_response(part, i))
        _el(equal, "correct", identifier=_response(part, i))
        _add_score(branch, share)
    _show_solution(rp)


def _choice_processing(root: etree._Element, part: ItemPart) -> None:
    rp = _el(root, "responseProcessing")
    if part.multiple:
        _el(_el(rp, "setOutcomeValue", identifier="SCORE"), "mapResponse", identifier="RESPONSE")
    else:
        branch = _el(_el(rp, "responseCondition"), "responseIf")
        match = _el(branch, "match")
        _el(match, "variable", identifier="RESPONSE")
        _el(match, "correct", identifier="RESPONSE")
        _add_score(branch, part.marks)
    _el(_el(rp, "setOutcomeValue", identifier="FEEDBACK"), "variable", identifier="RESPONSE")
    _show_solution(rp)


def _add_score(branch: etree._Element, worth: float) -> None:
    total = _el(_el(branch, "setOutcomeValue", identifier="SCORE"), "sum")
    _el(total, "variable", identifier="SCORE")
    _el(total, "baseValue", baseType="float").text = repr(worth)


def _show_solution(rp: etree._Element) -> None:
    _el(_el(rp, "setOutcomeValue", identifier="SOLUTION"), "baseValue", baseType="identifier").text = "SHOWN"


def _choice_feedback(root: etree._Element, part: ItemPart, html: Converter) -> None:
    for i, choice in enumerate(part.choices, start=1):
        if choice.why:
            feedback = _el(root, "modalFeedback", outcomeIdentifier="FEEDBACK", identifier=f"C{i}", showHide="show")
            _flow(feedback, html(choice.why))


def assessment_test(build: ExportBuild, variant: ExportVariant, ident: str, refs: list[tuple[str, bool]]) -> bytes:
    """One variant as a test: its items in exam order; the items of optional (PhD-only) sections
    in a section of their own, in category `optional`, left out of TOTAL as the PDFs leave them."""
    root = etree.Element(_q("assessmentTest"), nsmap={None: QTI, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", QTI_LOCATION)
    who = f", {variant.student_name}" if variant.student_name else ""
    for key, value in (("identifier", ident), ("title", f"{build.spec.title} ({variant.code}{who})"),
                       ("toolName", "examgen")):
        root.set(key, value)
    total = _el(root, "outcomeDeclaration", identifier="TOTAL", cardinality="single", baseType="float")
    _el(_el(total, "defaultValue"), "value").text = "0"
    part = _el(root, "testPart", identifier="P1", navigationMode="nonlinear", submissionMode="simultaneous")
    section = _el(part, "assessmentSection", identifier="S1", title=build.spec.title, visible="true")
    for ref, _ in (r for r in refs if not r[1]):
        _el(section, "assessmentItemRef", identifier=ref, href=f"{ref}.xml")
    if any(optional for _, optional in refs):
        extra = _el(part, "assessmentSection", identifier="S2", title="Optional (not counted in the total)",
                    visible="true")
        for ref, _ in (r for r in refs if r[1]):
            _el(extra, "assessmentItemRef", identifier=ref, href=f"{ref}.xml", category="optional")
    summed = _el(_el(_el(root, "outcomeProcessing"), "setOutcomeValue", identifier="TOTAL"), "sum")
    _el(summed, "testVariables", variableIdentifier="SCORE", excludeCategory="optional")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def manifest(build: ExportBuild, resources: list[tuple[str, str, list[str], list[str]]]) -> bytes:
    root = etree.Element(f"{{{CP}}}manifest", nsmap={None: CP, "xsi": XSI},
                         identifier=f"M-{slug(build.spec.id)}-{slug(build.variants[0].code)}")   # a code, never the seed
    root.set(f"{{{XSI}}}schemaLocation", CP_LOCATION)
    meta = etree.SubElement(root, f"{{{CP}}}metadata")
    etree.SubElement(meta, f"{{{CP}}}schema").text = "QTIv2.1 Package"
    etree.SubElement(meta, f"{{{CP}}}schemaversion").text = "1.0.0"
    etree.SubElement(root, f"{{{CP}}}organizations")
    holder = etree.SubElement(root, f"{{{CP}}}resources")
    for kind, ident, files, deps in resources:
        res = etree.SubElement(holder, f"{{{CP}}}resource", identifier=ident, type=kind, href=files[0])
        for name in files:
            etree.SubElement(res, f"{{{CP}}}file", href=name)
        for dep in deps:
            etree.SubElement(res, f"{{{CP}}}dependency", identifierref=dep)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
