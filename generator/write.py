"""The write stage: build into a staging folder, then swap it into place only when complete.

A failed build removes its staging folder and leaves any earlier good output untouched.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import OutputError

BUILD_LEFTOVERS = (".aux", ".log", ".out")


@contextmanager
def staging(final: Path) -> Iterator[Path]:
    """A fresh folder beside `final`; published over `final` if the block succeeds, removed if not."""
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{final.name}.partial-", dir=final.parent))
    except OSError as err:
        raise OutputError(f"--out {final.parent}: cannot write there ({err.strerror})") from None
    try:
        yield stage
        publish(stage, final)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def publish(stage: Path, final: Path) -> None:
    """Replace `final` with `stage` in two renames, so no reader sees a half-written folder."""
    tidy(stage)
    stage.chmod(0o755)  # mkdtemp makes it private; the published folder is an ordinary one
    old = None
    if final.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
        os.rename(final, old / "previous")
    try:
        os.rename(stage, final)
    except OSError:
        if old is not None:
            os.rename(old / "previous", final)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def tidy(folder: Path) -> None:
    """Remove LaTeX's auxiliary files; the .tex sources stay beside the PDFs."""
    for path in folder.rglob("*"):
        if path.suffix in BUILD_LEFTOVERS:
            path.unlink()
