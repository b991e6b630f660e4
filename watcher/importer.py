"""Import local files (.html/.txt/.pdf/.docx) into the store, splitting compiled bulletins.

A compilation such as a monthly 「职教动态与参考」 holds many documents, each closing with
「（来源：…）」; each becomes a document of its own. Re-importing the same file stores nothing
new: documents are keyed by file name and position, versions by their text fingerprint.
"""

from __future__ import annotations

from pathlib import Path

from watcher import attachments, compilation
from watcher.config import Config, ListSpec, Source
from watcher.errors import ExtractError
from watcher.models import Level
from watcher.pipeline import DocumentInput, ingest_document
from watcher.store import Store

__all__ = ["import_file", "read_document_text"]

TITLE_MAX = 60


def read_document_text(path: Path) -> tuple[str, str, dict[str, str]]:
    """(title, text, meta) of a local file; HTML goes through extraction to keep its metadata."""
    ext = path.suffix.lower().lstrip(".")
    if ext in ("html", "htm", "shtml"):
        from watcher.extract import extract

        article = extract(path.read_bytes(), None)
        return article.title, article.text, dict(article.meta)
    result = attachments.text_from_file(path)
    if not result.supported:
        raise ExtractError(result.reason or f"不支持的文件类型: {path.name}")
    # A text file's first line is its title when it is title-sized, else the file name says more.
    first = next((line.strip() for line in result.text.splitlines() if line.strip()), "")
    return (first if 0 < len(first) <= TITLE_MAX else path.stem), result.text, {}


def import_file(
    store: Store, config: Config, path: Path, *, split: bool = True, level: Level | None = None
) -> list[tuple[str, str, int]]:
    """Store the document(s) in ``path``; returns (title, status, document id) per document."""
    title, text, meta = read_document_text(path)
    raw = path.read_bytes()
    pieces = compilation.split_compilation(text) if split else []
    source = None
    if level is not None:
        # Imports have no source; a pseudo-source carries the level used for ranking.
        source = Source(id="import", name="本地导入", level=level,
                        lists=(ListSpec(url="http://localhost/", item="a"),))
    inputs: list[DocumentInput] = []
    if len(pieces) > 1:
        for i, piece in enumerate(pieces, 1):
            inputs.append(DocumentInput(url=f"import:{path.name}/{i}", title=piece.title,
                                        text=piece.text, meta={}, origin="import"))
    else:
        inputs.append(DocumentInput(url=f"import:{path.name}", title=title, text=text, meta=meta,
                                    raw=raw, origin="import",
                                    content_type=f"application/x-{path.suffix.lstrip('.')}"))
    results: list[tuple[str, str, int]] = []
    for doc in inputs:
        verdict, _ = ingest_document(store, config, doc, source=source)
        results.append((doc.title, verdict.status, verdict.document_id))
    return results
