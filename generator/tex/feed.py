"""Feeding documents to pdflatex while the variants are still being sampled (compile stage).

Each document (all exams, all solutions, the key) is rendered by its own thread from the
variants as they arrive, and written twice: to its `.tex` file, and through a named pipe that
pdflatex reads as its input (`<stem>.feed.tex`, with `-jobname=<stem>`). TeX typesets variant 1
while Python samples variant 2, so a build costs about its longest TeX run, not sampling plus
TeX. The `.tex` file is always at least as far on as the pipe, so an error message can quote
the line TeX stopped at; a rerun reads the finished `.tex`.
"""
from __future__ import annotations

import errno
import os
import queue
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

_END, _ABORT = object(), object()
OPEN_POLL_S = 0.005    # how often a feed looks whether its pdflatex has opened the pipe
SEND_AT = 64 * 1024    # characters rendered before they are sent on (and whenever a feed waits)


class Aborted(Exception):
    """The build stopped before every variant was sampled; the feeds end without a document."""


class Pages:
    """The variants of one document, handed over one at a time as they are sampled. Before it
    waits for the next one, `idle` runs (the feed sends what it has rendered so far)."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self.idle: Callable[[], None] = lambda: None
        self.waited_s = 0.0     # how long the document has waited for variants still being sampled

    def put(self, page: Any) -> None:
        self._queue.put(page)

    def close(self, aborted: bool = False) -> None:
        self._queue.put(_ABORT if aborted else _END)

    def __iter__(self) -> Iterator[Any]:
        while True:
            if self._queue.empty():
                self.idle()
            start = time.monotonic()
            page = self._queue.get()
            self.waited_s += time.monotonic() - start
            if page is _END:
                return
            if page is _ABORT:
                raise Aborted("the build stopped")
            yield page


class Feed:
    """One document: its chunks (rendered on this feed's thread from `pages`) go to `tex` and to
    the pipe `pipe`, which pdflatex opens when its run starts."""

    def __init__(self, tex: Path, render: Callable[[Pages], Iterator[str]]) -> None:
        self.tex, self.pipe, self.pages = tex, tex.with_suffix(".feed.tex"), Pages()
        self.error: BaseException | None = None
        self._stop = threading.Event()
        os.mkfifo(self.pipe, 0o600)
        self._thread = threading.Thread(target=self._run, args=(render,), name=f"feed {tex.name}", daemon=True)
        self._thread.start()

    def _run(self, render: Callable[[Pages], Iterator[str]]) -> None:
        self._pipe: int | None = None
        self._held: list[str] = []
        try:
            self._pipe = self._open_pipe()   # first: whatever fails next, pdflatex sees the end
            with self.tex.open("w", encoding="utf-8") as self._out:
                self.pages.idle = self._send
                size = 0
                for chunk in render(self.pages):
                    self._held.append(chunk)
                    size += len(chunk)
                    if size >= SEND_AT:
                        self._send()
                        size = 0
                self._send()
        except Aborted:
            pass
        except BaseException as err:  # reported by the build, before the LaTeX error it causes
            self.error = err
        finally:
            if self._pipe is not None:
                os.close(self._pipe)      # TeX reads the end of its input

    def _send(self) -> None:
        """What is rendered so far, to the .tex file first, then to pdflatex."""
        if not self._held:
            return
        text, self._held = "".join(self._held), []
        self._out.write(text)
        self._out.flush()
        self._pipe = _write_all(self._pipe, text.encode("utf-8"))

    def _open_pipe(self) -> int | None:
        """The pipe's write end once pdflatex has opened it (None if the build stops first)."""
        while not self._stop.is_set():
            try:
                fd = os.open(self.pipe, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as err:
                if err.errno != errno.ENXIO:   # ENXIO: no reader yet
                    raise
                self._stop.wait(OPEN_POLL_S)
                continue
            os.set_blocking(fd, True)
            return fd
        return None

    def stop(self) -> None:
        """End this feed now (the build failed or was interrupted), and wait for its thread."""
        self._stop.set()
        self.pages.close(aborted=True)
        self._thread.join()
        try:   # a pdflatex already waiting to open the pipe gets the end of its input at once
            os.close(os.open(self.pipe, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
        self.pipe.unlink(missing_ok=True)

    def finish(self) -> None:
        """Wait until the document is written (after the last page was put), then drop the pipe."""
        self._thread.join()
        self.pipe.unlink(missing_ok=True)


def _write_all(pipe: int | None, data: bytes) -> int | None:
    """Write all of `data` to the pipe; None from now on if pdflatex has gone (it failed: its log
    says why, and the .tex file is still written in full)."""
    if pipe is None:
        return None
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(pipe, view):]
        return pipe
    except BrokenPipeError:
        os.close(pipe)
        return None
