"""Local files → (title, text, metadata): the one reader behind ``watcher import``, ``extract``,
``normalize``, ``outline``, ``compare``, ``diff`` and ``directions`` on files.

HTML goes through extraction (so its metadata survives); PDF, DOCX, OFD and text through the
attachment readers, decoded with the fetcher's charset rules.
"""

from __future__ import annotations

from pathlib import Path

from watcher.errors import ExtractError
from watcher.ingest import attachments
from watcher.ingest.extract import extract

__all__ = ["HTML_MAX_BYTES", "TITLE_MAX", "read_document_text"]

#: A text file's first line is its title when it is at most this long.
TITLE_MAX = 60
#: The largest local HTML file read (the fetcher's default cap for a page; parsing takes
#: about 30 times a page's size in memory).
HTML_MAX_BYTES = 20 * 1024 * 1024


def read_document_text(path: Path) -> tuple[str, str, dict[str, str]]:
    """(title, text, meta) of a local file; HTML goes through extraction to keep its metadata."""
    ext = path.suffix.lower().lstrip(".")
    if ext in ("html", "htm", "shtml"):
        size = path.stat().st_size if path.is_file() else 0
        if size > HTML_MAX_BYTES:
            raise ExtractError(
                f"{path.name} 有 {size / 1024 / 1024:.1f} MB，超过网页文件上限 "
                f"{HTML_MAX_BYTES // 1024 // 1024} MB：请只保存正文所在的页面，或另存为 .txt 后导入"
            )
        article = extract(path.read_bytes(), None)
        return article.title, article.text, dict(article.meta)
    result = attachments.text_from_file(path)
    if not result.supported:
        raise ExtractError(result.reason or f"不支持的文件类型: {path.name}")
    # A text file's first line is its title when it is title-sized, else the file name says more.
    first = next((line.strip() for line in result.text.splitlines() if line.strip()), "")
    return (first if 0 < len(first) <= TITLE_MAX else path.stem), result.text, {}
