"""Generated hostile files for the extraction budgets: PDFs whose page trees cost hours."""

from __future__ import annotations

__all__ = ["pathological_pdf"]


def pathological_pdf(entries: int, *, shared_page: bool, ops: int = 4000) -> bytes:
    """A small PDF whose page tree lists ``entries`` pages that are all one page object
    (shared_page) or distinct page objects sharing one slow content stream."""
    content = (
        b"BT /F1 9 Tf "
        + b" ".join(b"1 0 0 1 %d %d Tm (policy) Tj" % (i % 500, i % 700) for i in range(ops))
        + b" ET"
    )
    objs = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        4: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        5: b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    }
    if shared_page:
        objs[3] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
        )
        kids = b" ".join(b"3 0 R" for _ in range(entries))
    else:
        refs = []
        for i in range(entries):
            n = 6 + i
            objs[n] = (
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
            )
            refs.append(b"%d 0 R" % n)
        kids = b" ".join(refs)
    objs[2] = b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % entries
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for n in sorted(objs):
        offsets[n] = len(out)
        out += b"%d 0 obj\n" % n + objs[n] + b"\nendobj\n"
    size = max(objs) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for n in range(1, size):
        out += (b"%010d 00000 n \n" % offsets[n]) if n in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)
