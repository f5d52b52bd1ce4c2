"""QTI 2.1 package: the manifest lists what the zip holds, items are consistent, and their response
processing, run by a small interpreter of the operators we emit, scores the key's answer full marks."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree

from examgen.export.qti import CP, QTI, write_qti

from export_support import FULL, SPECS, sampled, write

NS = {"q": QTI, "cp": CP}


def _package(spec: Path, tmp: Path, count: int = 2) -> tuple[zipfile.ZipFile, object]:
    _, build = sampled(spec, count, True)
    [path] = write(write_qti, build, tmp)
    return zipfile.ZipFile(path), build


def _items(zf: zipfile.ZipFile) -> dict[str, etree._Element]:
    manifest = etree.fromstring(zf.read("imsmanifest.xml"))
    out = {}
    for res in manifest.iterfind(".//cp:resource", NS):
        for f in res.iterfind("cp:file", NS):
            assert f.get("href") in zf.namelist(), f"manifest lists {f.get('href')}, the zip lacks it"
        if res.get("type") == "imsqti_item_xmlv2p1":
            out[res.get("identifier")] = etree.fromstring(zf.read(res.get("href")))
    return out


def test_manifest_lists_every_item_and_one_test_per_variant(tmp_path: Path) -> None:
    zf, build = _package(FULL, tmp_path)
    manifest = etree.fromstring(zf.read("imsmanifest.xml"))
    resources = manifest.findall(".//cp:resource", NS)
    tests = [r for r in resources if r.get("type") == "imsqti_test_xmlv2p1"]
    items = _items(zf)
    assert len(tests) == len(build.variants)
    split = sum(p.manual > 0 and p.kind != "open" for v in build.variants for i in v.items for p in i.parts)
    assert split and len(items) == sum(len(i.parts) for v in build.variants for i in v.items) + split   # + a -hand item each
    for test in tests:
        deps = [d.get("identifierref") for d in test.iterfind("cp:dependency", NS)]
        doc = etree.fromstring(zf.read(test.get("href")))
        refs = [r.get("identifier") for r in doc.iterfind(".//q:assessmentItemRef", NS)]
        assert refs == deps and set(refs) <= set(items)
    titles = " ".join(etree.fromstring(zf.read(t.get("href"))).get("title") for t in tests)
    assert all(v.code in titles and v.student_name in titles for v in build.variants)


def test_items_are_consistent(tmp_path: Path) -> None:
    zf, _ = _package(FULL, tmp_path)
    for ident, item in _items(zf).items():
        assert item.tag == f"{{{QTI}}}assessmentItem" and item.get("identifier") == ident
        declared = {d.get("identifier") for d in item.iterfind("q:responseDeclaration", NS)}
        used = {i.get("responseIdentifier") for i in item.iter() if i.get("responseIdentifier")}
        assert declared == used and declared
        body = item.find("q:itemBody", NS)
        assert not (body.text or "").strip(), "text directly in itemBody"
        choices = [c.get("identifier") for c in item.iterfind(".//q:simpleChoice", NS)]
        assert len(choices) == len(set(choices))
        for value in item.iterfind("q:responseDeclaration[@baseType='identifier']/q:correctResponse/q:value", NS):
            assert value.text in choices
        for img in item.iterfind(".//q:img", NS):
            assert img.get("alt") and img.get("src") in zf.namelist()
        assert all(el.get("style") is None for el in item.iter())


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_the_keys_answer_scores_full_marks_and_a_wrong_one_does_not(spec: Path, tmp_path: Path) -> None:
    zf, _ = _package(spec, tmp_path, 1)
    scored = 0
    for item in _items(zf).values():
        if item.find("q:responseProcessing", NS) is None:
            assert item.find(".//q:rubricBlock[@view='scorer']", NS) is not None  # marked by hand, with a model answer
            continue
        top = float(item.find("q:outcomeDeclaration[@identifier='MAXSCORE']/q:defaultValue/q:value", NS).text)
        assert run_processing(item, correct_responses(item))["SCORE"] == pytest.approx(top)
        assert run_processing(item, wrong_responses(item))["SCORE"] < top
        scored += 1
    assert scored


SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "schemas" / "qti-2.1"   # ../shared (its README)


@pytest.fixture(scope="module")
def official() -> tuple[etree.XMLSchema, etree.XMLSchema]:
    """The official IMS QTI 2.1 and IMS CP 1.1 schemas, loaded without network access."""
    parser = etree.XMLParser(no_network=True)
    qti = etree.XMLSchema(etree.parse(str(SCHEMAS / "qtiv2p1" / "imsqti_v2p1.xsd"), parser))
    cp = etree.XMLSchema(etree.parse(str(SCHEMAS / "imscp_v1p1.xsd"), parser))
    return qti, cp


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_every_item_test_and_manifest_validates_against_the_official_schemas(
        spec: Path, tmp_path: Path, official: tuple[etree.XMLSchema, etree.XMLSchema]) -> None:
    """Issue 23: every item and test of the seven specs against IMS QTI 2.1, the manifest against
    IMS CP 1.1 (never skipped: the schemas are in ../shared/schemas)."""
    qti, cp = official
    zf, _ = _package(spec, tmp_path)
    for name in zf.namelist():
        if name.endswith(".xml") and name != "imsmanifest.xml":
            doc = etree.fromstring(zf.read(name))
            assert qti.validate(doc), (name, str(qti.error_log.last_error))
    assert cp.validate(etree.fromstring(zf.read("imsmanifest.xml"))), str(cp.error_log.last_error)


# A small interpreter for the response-processing operators the export writes.

def correct_responses(item: etree._Element) -> dict[str, object]:
    out = {}
    for decl in item.iterfind("q:responseDeclaration", NS):
        values = [_typed(decl, v.text) for v in decl.iterfind("q:correctResponse/q:value", NS)]
        out[decl.get("identifier")] = values if decl.get("cardinality") == "multiple" else values[0]
    return out


def wrong_responses(item: etree._Element) -> dict[str, object]:
    out = {}
    for name, value in correct_responses(item).items():
        if isinstance(value, float):
            out[name] = value + 1.0
        else:
            choices = [c.get("identifier") for c in item.iterfind(".//q:simpleChoice", NS)]
            wrong = [c for c in choices if c not in (value if isinstance(value, list) else [value])]
            out[name] = wrong if isinstance(value, list) else wrong[0]
    return out


def _typed(decl: etree._Element, text: str) -> object:
    return float(text) if decl.get("baseType") == "float" else text


def run_processing(item: etree._Element, responses: dict[str, object]) -> dict[str, object]:
    outcomes: dict[str, object] = {}
    for decl in item.iterfind("q:outcomeDeclaration", NS):
        default = decl.find("q:defaultValue/q:value", NS)
        outcomes[decl.get("identifier")] = float(default.text) if default is not None else None
    env = {"item": item, "responses": responses, "outcomes": outcomes}
    for rule in item.find("q:responseProcessing", NS):
        _rule(rule, env)
    return outcomes


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _rule(rule: etree._Element, env: dict) -> None:
    if _local(rule) == "setOutcomeValue":
        env["outcomes"][rule.get("identifier")] = _expr(rule[0], env)
    elif _local(rule) == "responseCondition":
        for branch in rule:
            if _local(branch) == "responseElse" or _expr(branch[0], env):
                for inner in (branch if _local(branch) == "responseElse" else branch[1:]):
                    _rule(inner, env)
                break
    else:
        raise AssertionError(f"unexpected rule {_local(rule)}")


def _expr(el: etree._Element, env: dict) -> object:
    name = _local(el)
    if name == "variable":
        ident = el.get("identifier")
        return env["responses"][ident] if ident in env["responses"] else env["outcomes"][ident]
    if name == "correct":
        return correct_responses(env["item"])[el.get("identifier")]
    if name == "baseValue":
        return float(el.text) if el.get("baseType") == "float" else el.text
    if name == "sum":
        return sum(_expr(c, env) for c in el)
    if name == "match":
        a, b = (_expr(c, env) for c in el)
        return sorted(a) == sorted(b) if isinstance(a, list) else a == b
    if name == "equal":
        a, b = (_expr(c, env) for c in el)
        assert el.get("toleranceMode") == "absolute"
        return abs(a - b) <= float(el.get("tolerance").split()[0])
    if name == "mapResponse":
        return _map_response(env, el.get("identifier"))
    raise AssertionError(f"unexpected expression {name}")


def _map_response(env: dict, ident: str) -> float:
    decl = env["item"].find(f"q:responseDeclaration[@identifier='{ident}']", NS)
    mapping = decl.find("q:mapping", NS)
    values = {e.get("mapKey"): float(e.get("mappedValue")) for e in mapping.iterfind("q:mapEntry", NS)}
    given = env["responses"][ident]
    total = sum(values.get(v, float(mapping.get("defaultValue"))) for v in set(given))
    return min(max(total, float(mapping.get("lowerBound"))), float(mapping.get("upperBound")))
