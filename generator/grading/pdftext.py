"""A PDF of plain text pages (A4, Helvetica), written directly: a student's feedback sheet is a few
lines of text, and hundreds of them are written per class, so no plotting or typesetting library
is started for them. Text is encoded as WinAnsi (cp1252); signs outside it are spelled out."""
from __future__ import annotations

import textwrap
from pathlib import Path

WIDTH, HEIGHT, MARGIN = 595, 842, 56
SIGNS = {"\u2212": "-", "≈": "~", "×": "x", "√": "sqrt", "⊤": "T", "·": "*", "≤": "<=", "≥": ">="}
Line = tuple[str, float, bool]          # text, size in points, bold


def _encode(text: str) -> bytes:
    for sign, plain in SIGNS.items():
        text = text.replace(sign, plain)
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def wrapped(text: str, size: float = 10, bold: bool = False, indent: int = 0) -> list[Line]:
    """`text` as lines that fit the page at `size` points (Helvetica's mean width, about half a point size)."""
    width = max(20, int((WIDTH - 2 * MARGIN) / (size * 0.5)) - indent)
    lines = textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]
    return [(" " * indent + line, size, bold) for line in lines]


def _pages(lines: list[Line]) -> list[bytes]:
    """Each page's content stream."""
    pages, body, y = [], [], HEIGHT - MARGIN
    for text, size, bold in lines:
        if y - size * 1.4 < MARGIN and body:
            pages.append(b"\n".join(body))
            body, y = [], HEIGHT - MARGIN
        y -= size * 1.4
        font = b"/F2" if bold else b"/F1"
        body.append(b"BT " + font + b" %g Tf %d %.1f Td (" % (size, MARGIN, y) + _encode(text) + b") Tj ET")
    pages.append(b"\n".join(body))
    return pages


def write_pdf(path: Path, lines: list[Line], title: str = "") -> Path:
    """A PDF of `lines`, as many pages as they need."""
    pages = _pages(lines)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
               b"<< /Title (" + _encode(title) + b") /Producer (examgen) >>"]
    kids = []
    for content in pages:
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 3 0 R "
                       b"/F2 4 0 R >> >> /Contents %d 0 R >>" % (WIDTH, HEIGHT, len(objects)))
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % len(kids)
    out, offsets = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path
