"""The shared preamble's precompiled format, kept between builds (part of the compile stage).

Dumping the preamble (`compile.make_format`) costs about 0.7 s of CPU, as much as typesetting
a dozen exams; loading the dumped format takes milliseconds. So a dump is stored in the user's
cache, keyed by the preamble's text, with the size and time of every file TeX read to make it
(pdflatex.fmt, every package, the pdflatex binary). A later build whose preamble and TeX files
are unchanged copies the stored format into its build folder, where pdflatex reads it as before;
anything changed, missing or unreadable means a fresh dump, never a failed build.

`EXAMGEN_CACHE` names the cache folder (default `$XDG_CACHE_HOME/examgen`, else
`~/.cache/examgen`); `EXAMGEN_CACHE=off` turns the cache off.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from ..compile import make_format, pdflatex, tex_tree

KEEP = 8          # formats kept (about 7 MB each); the least recently used go first
OFF = "off"


def cache_dir() -> Path | None:
    """Where formats are kept, or None when the cache is turned off. A folder that other users
    could write to is not used (a format runs its TeX code in every build that loads it)."""
    named = os.environ.get("EXAMGEN_CACHE", "")
    if named.lower() == OFF:
        return None
    if named:
        return Path(named) / "formats"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "examgen" / "formats"


def cached_format(preamble: str, folder: Path, name: str = "examgen") -> str | None:
    """`folder/<name>.fmt` for this preamble: the stored one while it is still valid, else a
    fresh dump (stored for the next build). None when no format could be made."""
    cache = cache_dir()
    cache = cache if cache is not None and _private(cache) else None
    key = hashlib.sha256(preamble.encode("utf-8")).hexdigest()[:40]
    if cache is not None and _fetch(cache, key, folder / f"{name}.fmt"):
        return name
    made = make_format(preamble, folder, name, record=True)
    fls = folder / f"{name}.fls"
    if made and cache is not None:
        _store(cache, key, folder / f"{name}.fmt", fls)
    fls.unlink(missing_ok=True)
    return made


def _private(cache: Path) -> bool:
    """The cache folder (made now if missing) and the folder holding it belong to this user, and
    no one else may write to them."""
    try:
        cache.mkdir(parents=True, exist_ok=True, mode=0o700)
        return all(info.st_uid == os.getuid() and not info.st_mode & 0o022
                   for info in (cache.stat(), cache.parent.stat()))
    except OSError:
        return False


def _fetch(cache: Path, key: str, target: Path) -> bool:
    """Copy a stored format to `target` if its manifest still matches the TeX files."""
    stored, manifest = cache / f"{key}.fmt", cache / f"{key}.json"
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
        if recorded.get("fmt") != _stamp(stored) or not _unchanged(recorded.get("inputs", {})):
            return False
        shutil.copyfile(stored, target)   # a copy, not a link: the build folder is TeX's to write
        os.utime(manifest)                # recently used: pruned last
        return True
    except (OSError, ValueError, TypeError, AttributeError):
        return False


def _unchanged(inputs: dict[str, list[int]]) -> bool:
    """Every file the dump read still has its recorded size and modification time."""
    return bool(inputs) and all(_stamp(Path(path)) == stamp for path, stamp in inputs.items())


def _stamp(path: Path) -> list[int]:
    info = path.stat()
    return [info.st_size, info.st_mtime_ns]


def _store(cache: Path, key: str, fmt: Path, fls: Path) -> None:
    """Keep a fresh dump with the manifest of what it read; a cache that cannot be written is
    simply not used."""
    try:
        inputs = _inputs(fls, fmt.parent)
        if not inputs:
            return
        _write_atomic(cache / f"{key}.fmt", fmt.read_bytes())
        manifest = {"fmt": _stamp(cache / f"{key}.fmt"), "inputs": inputs}
        _write_atomic(cache / f"{key}.json", json.dumps(manifest, sort_keys=True).encode("utf-8"))
        _prune(cache)
    except OSError:
        return


def _inputs(fls: Path, folder: Path) -> dict[str, list[int]]:
    """The TeX files the dump read (its -recorder list, outside the build folder), pdflatex itself
    and each TeX tree's ls-R (a package installed into a tree searched first changes what TeX would
    read without changing any file it read), each with its size and time; {} if nothing was read."""
    here = os.path.realpath(folder)
    read = {path for line in fls.read_text(encoding="latin-1").splitlines() if line.startswith("INPUT ")
            if not (path := os.path.realpath(os.path.join(here, line[6:]))).startswith(here + os.sep)}
    if not read:
        return {}
    lists = {path for root in tex_tree() if os.path.isfile(path := os.path.join(root, "ls-R"))}
    return {path: _stamp(Path(path)) for path in sorted(read | lists | {os.path.realpath(pdflatex())})}


def _write_atomic(path: Path, data: bytes) -> None:
    """Write beside `path` and rename over it, so a reader sees the old file or the new, whole."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _prune(cache: Path) -> None:
    """Keep the KEEP most recently used formats; drop formats without a manifest and what a
    writer stopped halfway left (temporary files over an hour old)."""
    manifests = sorted(cache.glob("*.json"), key=lambda m: m.stat().st_mtime_ns, reverse=True)
    for old in manifests[KEEP:]:
        old.with_suffix(".fmt").unlink(missing_ok=True)
        old.unlink(missing_ok=True)
    for fmt in cache.glob("*.fmt"):
        if not fmt.with_suffix(".json").exists():
            fmt.unlink(missing_ok=True)
    for temp in cache.glob(".*"):
        if time.time() - temp.stat().st_mtime > 3600:
            temp.unlink(missing_ok=True)
