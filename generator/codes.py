"""Exam codes: what a student's paper shows instead of the seed.

The bank is public, so a printed seed would let a student regenerate the solutions. Each variant
prints a short code derived from (spec id, seed, variant) instead; only the answer key maps codes
back to seeds and variants.
"""
from __future__ import annotations

import hashlib

# Crockford-style alphabet: no I, L, O or U, so a code read aloud or copied by hand is unambiguous.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def exam_code(spec_id: str, seed: int, variant: int) -> str:
    """A 6-character code like `K7Q-3MX`, stable for (spec id, seed, variant)."""
    digest = hashlib.sha256(f"examgen-code\x1f{spec_id}\x1f{seed}\x1f{variant}".encode()).digest()
    value = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(6):
        value, digit = divmod(value, len(ALPHABET))
        chars.append(ALPHABET[digit])
    return "".join(chars[:3]) + "-" + "".join(chars[3:])
