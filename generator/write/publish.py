"""The write stage, the one publisher: build into a staging folder, then swap it into place only
when complete.

A failed or interrupted build removes its staging folder and leaves any earlier good output
untouched. The swap is one atomic rename (renameat2 RENAME_EXCHANGE on Linux), so builds of one
exam running at once each publish whole and leave nothing behind. Only the files the caller names
as its outputs (or, where it names none, files with a suffix in PUBLISHED) leave the staging
folder, and only into `--out` itself. Each published folder holds a MARKER file; a folder without
one is not examgen's and is never replaced unless the caller says `force`. A staging folder's
name carries its process id, so one left by a killed build (`kill -9`) is removed by the next.
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import signal
import tempfile
import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from ..compile import resume, stop_all
from ..errors import Interrupted, OutputError
from ..inputs.schema import is_slug

PUBLISHED = frozenset({".pdf", ".tex", ".json", ".csv", ".xml", ".zip", ".html"})  # builds and exports
MARKER = ".examgen-output"   # in every folder examgen publishes; says it may be replaced
MARKER_TEXT = "Written by examgen; a later build or export of the same exam and seed replaces this folder.\n"
SIGNALS = (signal.SIGINT, signal.SIGTERM)
_RENAME_NOREPLACE, _RENAME_EXCHANGE, _AT_FDCWD = 1, 2, -100


@contextmanager
def staging(final: Path, outputs: set[Path] | None = None, force: bool = False) -> Iterator[Path]:
    """A fresh folder beside `final`; published over `final` if the block succeeds, removed if not.

    `outputs`, filled by the block, names the files to publish (paths inside the staging folder);
    None publishes by suffix. `final` must be examgen's own folder (or absent) unless `force`."""
    if not is_slug(final.name) or ".." in final.parts:
        raise OutputError(f"{final.name!r}: an output folder is a plain name inside --out")
    refuse_foreign(final, force)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        remove_abandoned(final)
        stage = Path(tempfile.mkdtemp(prefix=f".{final.name}.partial-{os.getpid()}-", dir=final.parent))
    except OSError as err:
        raise OutputError(f"--out {final.parent}: cannot write there ({err.strerror})") from None
    try:
        yield stage
        publish(stage, final, outputs, force)
    finally:
        try:
            with _signals_held():   # a Ctrl-C now (or its deferred error) acts once the folder is gone
                _remove(stage)
        except BaseException:       # one that landed before the signals were held: remove, then report it
            _remove(stage)
            raise


def publish(stage: Path, final: Path, outputs: set[Path] | None = None, force: bool = False) -> None:
    """Replace `final` with `stage` in one atomic swap, so no reader sees a half-written folder."""
    keep_outputs(stage, outputs)
    refuse_foreign(final, force)   # again: it may have appeared while the build ran
    try:
        (stage / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        stage.chmod(0o755)  # mkdtemp makes it private; the published folder is an ordinary one
        with _signals_held():
            _swap(stage, final)
    except OSError as err:
        raise OutputError(f"--out {final.parent}: cannot publish {final.name} ({err.strerror})") from None


def keep_outputs(folder: Path, outputs: set[Path] | None = None) -> None:
    """Remove everything but the outputs (LaTeX's auxiliary files, anything a document wrote)."""
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and not path.is_symlink():
            if not any(path.iterdir()):
                path.rmdir()
        elif path.is_symlink() or not path.is_file() or not _is_output(path, outputs):
            path.unlink()   # a link, a pipe or socket, or a file that is not an output


def _is_output(path: Path, outputs: set[Path] | None) -> bool:
    return path in outputs if outputs is not None else path.suffix in PUBLISHED


def refuse_foreign(final: Path, force: bool) -> None:
    """`final` may be replaced only if examgen wrote it (its MARKER), it is empty, or `force`."""
    if force or not final.exists() and not final.is_symlink():
        return
    if final.is_symlink() or not final.is_dir():
        raise OutputError(f"{final}: exists and is not a folder examgen wrote; remove it, or pass --force")
    if not (final / MARKER).is_file() and any(final.iterdir()):
        raise OutputError(f"{final}: exists and was not written by examgen (no {MARKER}); "
                          "nothing was replaced: remove it, choose another --out, or pass --force")


def remove_abandoned(final: Path) -> None:
    """Staging folders of `final` left by builds that were killed outright (their process is gone)."""
    for stale in final.parent.glob(f".{final.name}.partial-*"):
        pid = stale.name[len(f".{final.name}.partial-"):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)) and not stale.is_symlink():
            _remove(stale)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _swap(stage: Path, final: Path) -> None:
    """`stage` takes `final`'s place; whatever `final` held (if anything) is removed afterwards."""
    while True:
        try:
            if not _renameat2(stage, final, _RENAME_EXCHANGE):
                return _swap_locked(stage, final)
            return _remove(stage)  # it now holds the previous output
        except FileNotFoundError:
            pass  # nothing published yet
        try:
            if not _renameat2(stage, final, _RENAME_NOREPLACE):
                return _swap_locked(stage, final)
            return None
        except FileExistsError:
            continue  # another build published first: exchange with theirs


@lru_cache(maxsize=1)
def _libc_renameat2() -> Any:
    return getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)


def _renameat2(src: Path, dst: Path, flags: int) -> bool:
    """Linux renameat2; False where the system or file system lacks it."""
    fn = _libc_renameat2()
    if fn is None:
        return False
    if fn(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(dst))


def _swap_locked(stage: Path, final: Path) -> None:
    """Two renames under a lock file, where renameat2 is missing (not Linux)."""
    with open(final.parent / f".{final.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
        try:
            if final.exists():
                os.rename(final, old / "previous")
            os.rename(stage, final)
        except OSError:
            if (old / "previous").exists():
                os.rename(old / "previous", final)
            raise
        finally:
            _remove(old)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)


@contextmanager
def _signals_held() -> Iterator[None]:
    """The swap (or the removal of a staging folder) is not cut in half by Ctrl-C, SIGTERM or the
    interrupt that stop_on_signals deferred (SIGALRM); a signal arriving meanwhile acts after it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = (*SIGNALS, signal.SIGALRM)
    signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, held)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Ctrl-C (once or twice) and SIGTERM stop a build: running pdflatex is killed, queued documents
    are dropped, the staging folder goes (staging's `finally`), and one Interrupted error remains.

    The error is raised where the main thread is, except inside an import (torch and sympy load
    lazily): a module half-imported cannot be imported again, so it is raised 50 ms later instead."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired: list[int] = []

    def interrupted() -> Interrupted:
        return Interrupted(f"interrupted by {signal.Signals(fired[0]).name}: build stopped; the output "
                           "folder holds the last complete build", 128 + fired[0])

    def raise_when_safe(frame: object) -> None:
        if _importing(frame):
            signal.setitimer(signal.ITIMER_REAL, 0.05)  # SIGALRM comes back here
            return
        raise interrupted()

    def handler(signum: int, frame: object) -> None:
        if fired:
            return  # a second Ctrl-C while stopping changes nothing
        fired.append(signum)
        stop_all()
        raise_when_safe(frame)

    previous = {sig: signal.signal(sig, handler) for sig in SIGNALS}
    previous[signal.SIGALRM] = signal.signal(signal.SIGALRM, lambda _s, frame: raise_when_safe(frame))
    try:
        yield
    except Interrupted:
        raise
    except BaseException:
        if fired:   # the signal stopped the build (its pdflatex was killed) before the deferred
            raise interrupted() from None   # error was raised: report the signal, not what it broke
        raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, old in previous.items():
            signal.signal(sig, old)
        resume()


def _importing(frame: object) -> bool:
    """Whether the interrupted code is inside importlib (loading a module)."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):  # type: ignore[attr-defined]
            return True
        frame = frame.f_back  # type: ignore[attr-defined]
    return False
