"""`examgen init DIR`: a starter course folder (an exam spec, a numeric template, a README) that
builds as it stands with `--bank DIR`. The files ship in the package (examgen/starter/)."""
from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from ..errors import OutputError


def write_starter(folder: Path) -> list[Path]:
    """Copy the starter files into `folder`, which must not exist or be empty; return them."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise OutputError(f"{folder}: already exists and is not an empty folder")
    written: list[Path] = []
    try:
        _copy(resources.files("examgen").joinpath("starter"), folder, written)
    except OSError as err:
        raise OutputError(f"{folder}: cannot write ({err.strerror})") from None
    return written


def _copy(source: Traversable, target: Path, written: list[Path]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for item in sorted(source.iterdir(), key=lambda t: t.name):
        if item.is_dir():
            _copy(item, target / item.name, written)
        elif not item.name.endswith((".pyc", ".py")):
            (target / item.name).write_bytes(item.read_bytes())
            written.append(target / item.name)
