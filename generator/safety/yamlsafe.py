"""The one YAML loader for untrusted files (bank templates, exam specs, `--set` values).

libyaml's C parser when PyYAML has it (fast start-up), with safe_load's semantics (plain data, no
python tags) and limits a hostile file cannot get past: no anchors or aliases (so no alias bomb),
no duplicate keys, a size cap, a nesting cap, UTF-8 only, and no control characters in any string
(a title with an escape sequence would act on the terminal that lists it). Files are opened without
following a symbolic link or waiting on a FIFO (read_regular). Each problem is one line with the
file and line number, and never quotes more of the file than a YAML error needs.
"""
from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from ..errors import BankError

MAX_BYTES = 1_000_000   # the biggest bank file is ~20 kB
MAX_DEPTH = 64          # the deepest real nesting is a matrix inside a preset (~6)
# The libyaml in PyYAML 6.0.4's wheels stops at 1000 levels in its scanner, before any event
# reaches _check_events' count: its message, reported as this loader's own limit
LIBYAML_DEPTH = "exceeded maximum nesting depth"

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# C0 and C1 control characters (and DEL), newline and tab apart: no string of a YAML file may hold one
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class Refused(Exception):
    """A file read_regular will not read; the message is a phrase to follow the file's name."""


class YamlLimit(yaml.YAMLError):
    """A limit of this loader (alias, depth, duplicate key), with the line it was found on."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line, self.problem = line, problem


class SafeLoader(_Base):  # type: ignore[misc, valid-type]
    """safe_load's constructors; mappings refuse a key they already hold."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line
            try:
                first = seen.get(key)
            except TypeError:
                raise YamlLimit(line, "a mapping key must be plain text or a number") from None
            if first is not None:
                raise YamlLimit(line, f"duplicate key {key!r} (first on line {first + 1})")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _check_events(text: str) -> None:
    """Walk the event stream (no tree is built yet): refuse anchors, aliases and deep nesting."""
    loader = SafeLoader(text)
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            line = event.start_mark.line if event.start_mark else 0
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise YamlLimit(line, "anchors and aliases (&name, *name) are not allowed")
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlLimit(line, f"nested more than {MAX_DEPTH} levels deep")
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    finally:
        loader.dispose()


def _check_strings(node: yaml.Node | None) -> None:
    """Refuse a control character (newline and tab apart) in any key or value: "\\e]0;...\\a" in a
    double-quoted title would retitle, and "\\e[2J" clear, the terminal that lists it."""
    stack = [node] if node is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            found = CONTROL.search(node.value) if isinstance(node.value, str) else None
            if found:
                raise YamlLimit(node.start_mark.line, f"a string holds control character "
                                                      f"U+{ord(found.group()):04X} (only newline and tab are allowed)")
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)


def parse_yaml(text: str) -> Any:
    """Parse YAML text under this loader's limits; raises yaml.YAMLError (YamlLimit for a limit)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:  # undecodable bytes from the command line arrive as surrogates
        raise YamlLimit(text.count("\n", 0, err.start), "not valid UTF-8") from None
    _check_events(text)
    loader = SafeLoader(text)
    try:
        node = loader.get_single_node()
        _check_strings(node)
        return loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def shown(text: str) -> str:
    """Text for a one-line message: every control character (newline too) written as an escape."""
    return ANY_CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def read_regular(path: Path, limit: int) -> bytes:
    """At most `limit` + 1 bytes of a regular file, opened without following a symbolic link and
    without waiting (O_NOFOLLOW | O_NONBLOCK: a FIFO named x.yaml would block the open until a
    writer came); anything else raises Refused with a phrase: "is a symbolic link", "is not a
    regular file" or "cannot read it (...)"."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.EMLINK) or os.path.islink(path):
            raise Refused("is a symbolic link (files are read only where they are, never through a link)") from None
        raise Refused(f"cannot read it ({err.strerror})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise Refused("is not a regular file (a folder, FIFO or device is never read)")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    except OSError as err:
        raise Refused(f"cannot read it ({err.strerror})") from None
    finally:
        os.close(fd)


def decode(data: bytes, where: str) -> str:
    """UTF-8 text, or one line naming the first bad byte and its line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise BankError(f"{where}: line {line}: not valid UTF-8 (byte 0x{data[err.start]:02x})") from None


def read_yaml(path: Path) -> Any:
    """Read and parse one untrusted YAML file; every failure is one BankError naming the file."""
    try:
        data = read_regular(path, MAX_BYTES)
    except Refused as err:
        raise BankError(f"{path}: {err}") from None
    if len(data) > MAX_BYTES:
        raise BankError(f"{path}: larger than {MAX_BYTES // 1000} kB; a bank file or spec is far smaller")
    return yaml_text(decode(data, str(path)), str(path))


def yaml_text(text: str, where: str) -> Any:
    """Parse untrusted YAML text; a syntax error or a limit names `where` and the line."""
    try:
        return parse_yaml(text)
    except YamlLimit as err:
        raise BankError(f"{where}: line {err.line + 1}: {err.problem}") from None
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, err.position) + 1
        char = chr(err.character) if isinstance(err.character, int) else str(err.character)
        raise BankError(f"{where}: line {line} not valid YAML (character {shown(repr(char))} is not allowed)") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        why = shown(" ".join(str(getattr(err, "problem", None) or err).split()))
        if why == LIBYAML_DEPTH:  # deeper than libyaml's own cap, so deeper than ours too
            raise BankError(f"{where}:{line}: nested more than {MAX_DEPTH} levels deep") from None
        raise BankError(f"{where}:{line} not valid YAML ({why})") from None
    except RecursionError:
        raise BankError(f"{where}: nested too deeply") from None
