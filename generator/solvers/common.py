"""Small helpers shared by solvers: torch ↔ lists, exact numbers, LaTeX snippets for working."""
from __future__ import annotations

from typing import Any, Sequence


def as_list(t: Any, places: int | None = None) -> Any:
    """A tensor as nested Python lists; whole numbers become ints, others rounded if asked."""
    data = t.tolist() if hasattr(t, "tolist") else t
    return _clean(data, places)


def _clean(x: Any, places: int | None) -> Any:
    if isinstance(x, list):
        return [_clean(v, places) for v in x]
    if isinstance(x, float) and abs(x - round(x)) < 1e-9:
        return int(round(x))
    if isinstance(x, float) and places is not None:
        return round(x, places)
    return x


def products(values: Sequence[Any], weights: Sequence[Any]) -> str:
    """'2 \\cdot 1 + 3 \\cdot (-1)': the terms of a dot product as a student writes them."""
    from ..latexfmt import num

    def paren(v: Any) -> str:
        text = num(v)
        return f"({text})" if text.startswith("-") else text

    return " + ".join(f"{paren(v)} \\cdot {paren(w)}" for v, w in zip(values, weights))


def out_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """floor((size + 2p - d(k-1) - 1)/s) + 1, as torch computes it."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
