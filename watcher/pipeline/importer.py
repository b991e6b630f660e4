"""Import local files (.html/.txt/.pdf/.docx) into the store, splitting compiled bulletins.

A compilation such as a monthly 「职教动态与参考」 holds many documents, each closing with
「（来源：…）」; each becomes a document of its own. Re-importing the same file stores nothing
new: documents are keyed by file name and position, versions by their text fingerprint.
"""

from __future__ import annotations

from pathlib import Path

from watcher.ingest import compilation
from watcher.ingest.files import read_document_text
from watcher.models import Level
from watcher.pipeline.document import DocumentInput, IngestRules, ingest_document
from watcher.store import Store

__all__ = ["import_file"]


def import_file(
    store: Store, rules: IngestRules, path: Path, *, split: bool = True, level: Level | None = None
) -> list[tuple[str, str, int]]:
    """Store the document(s) in ``path``; returns (title, status, document id) per document.
    ``level`` (imports have no source) is used when ranking directions."""
    title, text, meta = read_document_text(path)
    raw = path.read_bytes()
    pieces = compilation.split_compilation(text) if split else []
    inputs: list[DocumentInput] = []
    if len(pieces) > 1:
        for i, piece in enumerate(pieces, 1):
            inputs.append(
                DocumentInput(
                    url=f"import:{path.name}/{i}",
                    title=piece.title,
                    text=piece.text,
                    meta={},
                    origin="import",
                )
            )
    else:
        inputs.append(
            DocumentInput(
                url=f"import:{path.name}",
                title=title,
                text=text,
                meta=meta,
                raw=raw,
                origin="import",
                content_type=f"application/x-{path.suffix.lstrip('.')}",
            )
        )
    results: list[tuple[str, str, int]] = []
    for doc in inputs:
        verdict, _ = ingest_document(
            store, rules, doc, level=level, source_id="import" if level is not None else None
        )
        results.append((doc.title, verdict.status, verdict.document_id))
    return results
