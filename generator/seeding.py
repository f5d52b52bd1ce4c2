"""Explicit seeding: every random draw comes from a generator derived from named parts.

Adding a question to an exam never changes another question's numbers, because each
template's generator depends only on (exam seed, variant, template id, draw).
"""
from __future__ import annotations

import hashlib
import random


def derive_seed(*parts: object) -> int:
    """A stable 63-bit integer from the parts (independent of PYTHONHASHSEED)."""
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


def rng_for(*parts: object) -> random.Random:
    """A fresh `random.Random` for exactly these parts."""
    return random.Random(derive_seed(*parts))


def torch_generator(*parts: object) -> "torch.Generator":  # noqa: F821
    """A CPU `torch.Generator` seeded from the parts (torch imported only when asked)."""
    import torch

    gen = torch.Generator()
    gen.manual_seed(derive_seed(*parts))
    return gen
