"""The preamble format kept between builds (fmtcache.py): reused while TeX's files are unchanged,
made again when one changes or the stored copy is damaged, and never a reason for a build to fail."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from examgen.tex import fmtcache
from examgen.build import BuildOptions, build
from examgen.inputs.paths import ROOT
from examgen.render import render_document

DEMO = ROOT / "bank" / "exams" / "demo.yaml"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EXAMGEN_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "formats"


def dumps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every dump that fmtcache asks for (it still happens)."""
    made: list[str] = []
    real = fmtcache.make_format

    def counted(*args, **kwargs):
        made.append(str(args[1]))
        return real(*args, **kwargs)

    monkeypatch.setattr(fmtcache, "make_format", counted)
    return made


def fetch(folder: Path) -> str | None:
    folder.mkdir(exist_ok=True)
    return fmtcache.cached_format(render_document("partials/preamble.tex.j2"), folder)


def test_a_second_build_reuses_the_format_and_prints_the_same_pdfs(cache: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    made = dumps(monkeypatch)
    first = build(BuildOptions(DEMO, seed=3, variants=2, out=tmp_path / "a"))
    assert len(made) == 1 and len(list(cache.glob("*.fmt"))) == 1
    second = build(BuildOptions(DEMO, seed=3, variants=2, out=tmp_path / "b"))
    assert len(made) == 1, "the stored format was dumped again"
    for a, b in zip(first.documents, second.documents):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert not list(second.folder.rglob("*.fmt")) and len(list(cache.glob("*.fmt"))) == 1


def test_a_changed_tex_file_makes_the_format_again(cache: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    made = dumps(monkeypatch)
    assert fetch(tmp_path / "one") == "examgen" and len(made) == 1
    manifest = next(cache.glob("*.json"))
    recorded = json.loads(manifest.read_text())
    package = next(p for p in recorded["inputs"] if p.endswith(".sty"))
    recorded["inputs"][package][1] -= 1          # as if the package had been upgraded since
    manifest.write_text(json.dumps(recorded))
    assert fetch(tmp_path / "two") == "examgen" and len(made) == 2
    assert json.loads(manifest.read_text())["inputs"][package] != recorded["inputs"][package]
    assert fetch(tmp_path / "three") == "examgen" and len(made) == 2


def test_a_damaged_stored_format_is_not_used(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = dumps(monkeypatch)
    fetch(tmp_path / "one")
    stored = next(cache.glob("*.fmt"))
    stored.write_bytes(stored.read_bytes()[:1000])   # cut short
    assert fetch(tmp_path / "two") == "examgen" and len(made) == 2
    assert (tmp_path / "two" / "examgen.fmt").stat().st_size > 1_000_000


def test_the_cache_can_be_off_or_unwritable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = dumps(monkeypatch)
    monkeypatch.setenv("EXAMGEN_CACHE", "off")
    assert fmtcache.cache_dir() is None
    assert fetch(tmp_path / "one") == "examgen" and fetch(tmp_path / "two") == "examgen" and len(made) == 2
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("EXAMGEN_CACHE", str(blocker))
    assert fetch(tmp_path / "three") == "examgen" and (tmp_path / "three" / "examgen.fmt").exists()


def test_only_the_most_recently_used_formats_are_kept(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fmtcache, "KEEP", 2)
    cache.mkdir(parents=True)
    for i, key in enumerate("abc"):
        for suffix in (".fmt", ".json"):
            (cache / f"{key}{suffix}").write_text("{}")
        os.utime(cache / f"{key}.json", ns=(i * 10**9, i * 10**9))
    fmtcache._prune(cache)
    assert sorted(p.name for p in cache.iterdir()) == ["b.fmt", "b.json", "c.fmt", "c.json"]


def test_a_cache_folder_others_can_write_is_not_used(cache: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A format runs its TeX code in every build that loads it: a shared folder could plant one."""
    made = dumps(monkeypatch)
    cache.mkdir(parents=True)
    cache.chmod(0o777)
    assert fetch(tmp_path / "one") == "examgen" and fetch(tmp_path / "two") == "examgen"
    assert len(made) == 2 and not list(cache.iterdir())


def test_writing_the_build_folders_format_leaves_the_stored_one_alone(cache: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The build folder gets a copy: a document that writes examgen.fmt there (TeX may write in
    its folder) cannot reach the cache, nor another build using the same format."""
    made = dumps(monkeypatch)
    fetch(tmp_path / "one")
    fetch(tmp_path / "two")
    (tmp_path / "two" / "examgen.fmt").write_bytes(b"overwritten by a document")
    assert fetch(tmp_path / "three") == "examgen" and len(made) == 1
    assert (tmp_path / "three" / "examgen.fmt").stat().st_size > 1_000_000


def test_the_manifest_holds_the_trees_file_lists(cache: Path, tmp_path: Path) -> None:
    """A package installed into a tree searched first changes its ls-R, not the files read."""
    from examgen.compile import tex_tree

    fetch(tmp_path / "one")
    inputs = json.loads(next(cache.glob("*.json")).read_text())["inputs"]
    lists = [root for root in tex_tree() if Path(root, "ls-R").is_file()]
    assert lists and all(str(Path(root, "ls-R")) in inputs for root in lists)
    assert any(path.endswith("texmf.cnf") for path in inputs) and any(path.endswith("pdftex") for path in inputs)
