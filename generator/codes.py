"""Exam codes: what a student's paper shows instead of the seed, keyed by a course secret.

The bank ships with the package, so anything a student could recompute from what is printed would
lead back to the seed and every solution. A code is therefore a keyed hash (HMAC-SHA256) of what
identifies the variant, under a course key that never reaches a student's page: without the key,
codes say nothing about the seed. The key PDF and answer-key.json map codes to variants.

The key is 256 random bits, read from `--code-key FILE` (a course team shares one) or from
`$XDG_CONFIG_HOME/examgen/code-key` (`~/.config/examgen/code-key`), created there once, readable
by its owner only. Builds with the same key give the same codes; another key, other codes.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from .errors import SetupError

# Crockford-style alphabet: no I, L, O or U, so a code read aloud or copied by hand is unambiguous.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
KEY_BYTES = 32
MIN_KEY_CHARS = 32          # a shared key file: at least 32 characters (128 bits as hex)


@dataclass(frozen=True)
class CodeKey:
    """The course key and where it came from (`created` when this run made it)."""

    secret: bytes
    path: Path
    created: bool = False


def default_key_path() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "examgen" / "code-key"


def load_code_key(path: Path | None = None) -> CodeKey:
    """The key in `path` (--code-key), or the user's own key, created on first use."""
    if path is not None:
        return CodeKey(_read_key(path), path)
    own = default_key_path()
    if own.exists():
        return CodeKey(_read_key(own), own)
    return CodeKey(_create_key(own), own, created=True)


def _read_key(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as err:
        raise SetupError(f"--code-key {path}: cannot read the course key ({getattr(err, 'strerror', None) or err})") from None
    if len(text) < MIN_KEY_CHARS:
        raise SetupError(f"--code-key {path}: a course key has at least {MIN_KEY_CHARS} characters "
                         f"(this one has {len(text)}); a new one is made by `examgen` when none exists")
    return text.encode("ascii")


def _create_key(path: Path) -> bytes:
    text = secrets.token_hex(KEY_BYTES)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:          # another build made it a moment ago
        return _read_key(path)
    except OSError as err:
        raise SetupError(f"{path}: cannot create the course key for exam codes ({err.strerror}); "
                         "pass --code-key FILE") from None
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(text + "\n")
    return text.encode("ascii")


def exam_code(key: bytes, spec_id: str, seed: int, variant: int, as_printed: bool = False) -> str:
    """A 6-character code like `K7Q-3MX`, stable for (key, spec id, seed, variant, as printed)."""
    message = f"examgen-code\x1f{spec_id}\x1f{seed}\x1f{variant}\x1f{'as-printed' if as_printed else 'drawn'}"
    value = int.from_bytes(hmac.new(key, message.encode(), hashlib.sha256).digest()[:8], "big")
    chars = []
    for _ in range(6):
        value, digit = divmod(value, len(ALPHABET))
        chars.append(ALPHABET[digit])
    return "".join(chars[:3]) + "-" + "".join(chars[3:])
