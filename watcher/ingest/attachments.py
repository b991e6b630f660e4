"""Attachments: the text of downloaded PDF, DOCX, OFD, HTML and TXT files.

Takes the raw bytes of an attachment (or a local file for ``watcher import``) and returns an
``AttachmentText``: the text with page boundaries as form feeds ("\\f") for PDF and OFD, one line
per paragraph and one line per table row (cells joined by " | ") for DOCX, plus whether the format
is supported and why not. Every input is treated as hostile: a size cap, zip-bomb and
path-traversal checks before any archive is opened, DTD/entity rejection for every XML part, and
broken files become ``ExtractError`` with a Chinese message instead of a traceback. It also
decides whether an article's body is only a pointer to its attachment, in which case the pipeline
makes the attachment the document.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from watcher.errors import ExtractError, UnsafeInputError
from watcher.ingest.extract import extract
from watcher.models import Attachment

__all__ = [
    "MAX_BYTES",
    "AttachmentText",
    "body_is_only_attachment",
    "text_from_bytes",
    "text_from_file",
]

MiB = 1024 * 1024

# --------------------------------------------------------------------------- limits and vocab

#: Largest attachment accepted at all.
MAX_BYTES = 50 * MiB
#: Archive limits (DOCX and OFD are zips): real files stay far below every one of them.
ZIP_MAX_ENTRIES = 5000
ZIP_MAX_ENTRY_BYTES = 64 * MiB
ZIP_MAX_TOTAL_BYTES = 256 * MiB
#: Compression ratio above which an entry is a bomb; only checked for entries over 1 MiB,
#: since small runs of identical XML compress legitimately well.
ZIP_MAX_RATIO = 150
ZIP_RATIO_MIN_BYTES = 1 * MiB
#: A PDF longer than this is not a policy document; also bounds the work done per file.
PDF_MAX_PAGES = 3000
#: Stop collecting text beyond this many characters (about 30 times the longest plan seen).
MAX_TEXT_CHARS = 5_000_000

#: The reason given when text stopped at MAX_TEXT_CHARS.
_TRUNCATED = f"文字超过上限 {MAX_TEXT_CHARS // 10000} 万字，只保留了前 {MAX_TEXT_CHARS // 10000} 万字{{pages}}；完整内容请看原文件"

#: Separator between pages (normalize uses form feeds to find running headers and footers).
PAGE_BREAK = "\f"
#: Separator between the cells of one table row.
CELL_SEPARATOR = " | "

UNSUPPORTED_OLE = "暂不支持 .doc/.wps 格式，请下载后另存为 .docx 或 PDF"
_TEXT_EXTS = frozenset({"txt", "text", "md", "csv"})
_HTML_EXTS = frozenset({"html", "htm", "shtml", "xhtml", "jsp", "asp", "aspx", "php"})
_OLE_EXTS = frozenset({"doc", "wps", "dot", "wpt"})

#: Body lines that only point at an attachment (「附件：…」, 「详见附件」, 「点击下载」…).
_POINTER_RE = re.compile(
    r"附\s*件\s*\d*\s*[：:]?|详见附件|见附件|请见附件|全文见附件|点击下载|点击查看|下载附件|"
    r"相关附件|附件下载|文件下载|原文下载|查看原文|[^\s]+\.(?:pdf|docx?|wps|ofd|xlsx?|et|zip|rar)",
    flags=re.IGNORECASE,
)
#: A body with at most this many meaningful characters besides the pointers is "only a link".
ATTACHMENT_ONLY_MAX_CHARS = 60

_MAGIC_PDF = b"%PDF-"
_MAGIC_ZIP = b"PK\x03\x04"
_MAGIC_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AttachmentText:
    """The text of one attachment.

    ``kind`` is the format actually read (pdf, docx, ofd, html, txt, doc, …), which may differ
    from the extension when the bytes say otherwise. ``supported`` is False for formats we cannot
    read (then ``text`` is empty and ``reason`` says what the user can do); ``reason`` is also set
    for a supported file that yielded no text (a scanned PDF). ``pages`` is known for PDF and OFD.
    """

    text: str
    kind: str
    supported: bool = True
    reason: str | None = None
    pages: int | None = None


# --------------------------------------------------------------------------- entry points


def text_from_file(path: str | Path, *, max_bytes: int = MAX_BYTES) -> AttachmentText:
    """Read a local file and return its text (the extension chooses the reader, bytes can override)."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise ExtractError(_too_large(size, max_bytes, p.name))
        data = p.read_bytes()
    except FileNotFoundError:
        raise ExtractError(f"找不到文件：{p}") from None
    except IsADirectoryError:
        raise ExtractError(f"{p} 是一个目录，请指定文件") from None
    except PermissionError:
        raise ExtractError(f"没有权限读取文件：{p}") from None
    return text_from_bytes(data, p.suffix, name=p.name, max_bytes=max_bytes)


def text_from_bytes(
    data: bytes,
    ext: str,
    *,
    name: str = "",
    max_bytes: int = MAX_BYTES,
    max_pages: int = PDF_MAX_PAGES,
) -> AttachmentText:
    """The text of an attachment given its bytes and extension (with or without the dot).

    Raises ``ExtractError`` for broken files and ``UnsafeInputError`` for hostile ones; returns
    ``supported=False`` for formats that cannot be read (.doc/.wps, spreadsheets, archives).
    """
    label = name or "附件"
    if len(data) > max_bytes:
        raise ExtractError(_too_large(len(data), max_bytes, label))
    declared = ext.lower().lstrip(".").strip()
    kind = _sniff(data, declared)
    if kind in {"pdf", "docx", "ofd"} and not data:
        raise ExtractError(f"{label} 是空文件，请重新下载")
    if kind == "pdf":
        return _pdf_text(data, label, max_pages)
    if kind == "docx":
        return _docx_text(data, label)
    if kind == "ofd":
        return _ofd_text(data, label)
    if kind in _OLE_EXTS:
        return AttachmentText("", kind, supported=False, reason=UNSUPPORTED_OLE)
    if kind == "html":
        if declared in {"pdf", "docx", "ofd", "doc", "wps"}:
            raise ExtractError(
                f"{label} 下载到的是网页而不是 .{declared} 文件（可能是拦截页或错误页），请在浏览器中打开链接核对"
            )
        return AttachmentText(_html_text(data), "html")
    if kind == "txt":
        return AttachmentText(_decode_text(data), "txt")
    shown = f".{declared}" if declared else "无扩展名"
    return AttachmentText(
        "",
        declared or "unknown",
        supported=False,
        reason=f"暂不支持 {shown} 格式的附件，请转换为 PDF、.docx 或 .txt 后再导入",
    )


def body_is_only_attachment(article_text: str, attachments: Sequence[Attachment]) -> bool:
    """True when the page body is essentially a link or notice pointing at its attachment.

    Pointer phrases (「附件：」, 「详见附件」, 「点击下载」), the attachments' own names and file
    names are removed; if at most ``ATTACHMENT_ONLY_MAX_CHARS`` meaningful characters remain,
    the attachment is the document.
    """
    if not attachments:
        return False
    rest = article_text
    for att in sorted(attachments, key=lambda a: len(a.name), reverse=True):
        for piece in (att.name, PurePosixPath(att.url.split("?")[0]).name):
            if piece.strip():
                rest = rest.replace(piece.strip(), " ")
    rest = _POINTER_RE.sub(" ", rest)
    meaningful = re.sub(r"[\W_\d]+", "", rest)
    return len(meaningful) <= ATTACHMENT_ONLY_MAX_CHARS


# --------------------------------------------------------------------------- format detection


def _sniff(data: bytes, declared: str) -> str:  # noqa: C901 - one branch per file signature
    """The format the bytes really are; servers and link texts often lie about the extension."""
    head = data[:8]
    if head.startswith(_MAGIC_PDF) or (declared == "pdf" and _MAGIC_PDF in data[:1024]):
        return "pdf"
    if head.startswith(_MAGIC_OLE):
        return declared if declared in _OLE_EXTS else "doc"
    if head.startswith(_MAGIC_ZIP):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = {n.lower() for n in zf.namelist()[:ZIP_MAX_ENTRIES]}
        except (zipfile.BadZipFile, ValueError, OSError):
            return declared if declared in {"docx", "ofd"} else "zip"
        if "word/document.xml" in names:
            return "docx"
        if "ofd.xml" in names:
            return "ofd"
        return declared if declared in {"docx", "ofd"} else "zip"
    if declared in {"pdf", "docx", "ofd", "doc", "wps"} and _looks_like_html(data):
        return "html"
    if declared in _HTML_EXTS:
        return "html"
    if declared in _TEXT_EXTS:
        return "txt"
    if declared in {"pdf", "docx", "ofd"}:
        return declared  # the reader will say the file is broken
    return declared


def _looks_like_html(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<meta"))


def _too_large(size: int, cap: int, label: str) -> str:
    return f"{label} 太大（{size / MiB:.1f} MB，上限 {cap / MiB:.0f} MB），已跳过；如确需处理请调大上限"


# --------------------------------------------------------------------------- text and HTML


_META_CHARSET_RE = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_GB_ALIASES = {"gbk", "gb2312", "gb_2312-80", "x-gbk", "cp936", "gb18030", "euc-cn"}


def _decode_text(data: bytes) -> str:
    """UTF-8 (BOM honoured), else GB18030, else Big5; a declared <meta charset> wins for HTML."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    m = _META_CHARSET_RE.search(data[:4096])
    if m:
        declared = m.group(1).decode("ascii").lower()
        codec = "gb18030" if declared in _GB_ALIASES else declared
        try:
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    gb = _try_decode(data, "gb18030")
    big5 = _try_decode(data, "big5")
    # Big5 bytes usually also decode as GB18030, into rare characters outside GB2312; real
    # Simplified text is almost entirely inside GB2312.
    if gb is not None and (big5 is None or _gb2312_share(gb) >= 0.97):
        return gb
    if big5 is not None:
        return big5
    return data.decode("gb18030", errors="replace")


def _try_decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _gb2312_share(text: str) -> float:
    cjk = [c for c in text if "\u3400" <= c <= "\u9fff"]
    if not cjk:
        return 1.0
    inside = 0
    for c in cjk:
        try:
            c.encode("gb2312")
            inside += 1
        except UnicodeEncodeError:
            pass
    return inside / len(cjk)


def _html_text(data: bytes) -> str:
    """Main text of an HTML attachment (a 「.doc」 that is really a saved web page)."""

    return extract(data).text


# --------------------------------------------------------------------------- zip guard


def _open_checked_zip(data: bytes, label: str, what: str) -> zipfile.ZipFile:
    """Open a zip only after every entry passed the bomb and traversal checks."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise ExtractError(
            f"{label} 不是有效的 {what} 文件（压缩包已损坏：{exc}），请重新下载或用办公软件另存"
        ) from None
    if len(infos) > ZIP_MAX_ENTRIES:
        raise UnsafeInputError(
            f"{label} 含 {len(infos)} 个压缩条目，超过上限 {ZIP_MAX_ENTRIES}，疑似压缩炸弹，已拒绝"
        )
    total = 0
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name):
            raise UnsafeInputError(f"{label} 含非法路径条目「{name}」（路径穿越），已拒绝")
        if info.flag_bits & 0x1:
            raise ExtractError(f"{label} 有密码保护，无法读取；请取得未加密的版本")
        if info.file_size > ZIP_MAX_ENTRY_BYTES:
            raise UnsafeInputError(
                f"{label} 中的「{name}」解压后 {info.file_size / MiB:.0f} MB，超过单条上限，疑似压缩炸弹，已拒绝"
            )
        if info.file_size > ZIP_RATIO_MIN_BYTES and info.file_size > ZIP_MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise UnsafeInputError(
                f"{label} 中的「{name}」压缩比异常（>{ZIP_MAX_RATIO}:1），疑似压缩炸弹，已拒绝"
            )
        total += info.file_size
        if total > ZIP_MAX_TOTAL_BYTES:
            raise UnsafeInputError(
                f"{label} 解压后总大小超过 {ZIP_MAX_TOTAL_BYTES // MiB} MB，疑似压缩炸弹，已拒绝"
            )
    return zf


def _read_member(zf: zipfile.ZipFile, name: str, label: str) -> bytes:
    """Read one entry, never more than its checked declared size (zipfile stops there too)."""
    try:
        with zf.open(name) as fh:
            data = fh.read(ZIP_MAX_ENTRY_BYTES + 1)
    except KeyError:
        raise ExtractError(f"{label} 缺少必需的部件「{name}」，文件可能已损坏") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ExtractError(f"{label} 中的「{name}」已损坏（{exc}），请重新下载") from None
    if len(data) > ZIP_MAX_ENTRY_BYTES:
        raise UnsafeInputError(f"{label} 中的「{name}」超过单条上限，疑似压缩炸弹，已拒绝")
    return data


def _parse_xml(data: bytes, label: str, part: str) -> Any:
    """Parse XML refusing DTDs, entities and external references."""
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise UnsafeInputError(
            f"{label} 中的「{part}」含 DTD/实体声明（可能是 XML 实体攻击），已拒绝"
        ) from None
    except SafeET.ParseError as exc:
        raise ExtractError(
            f"{label} 中的「{part}」不是有效的 XML（{exc}），文件可能已损坏"
        ) from None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


# --------------------------------------------------------------------------- PDF


def _refuse_repeated_pages(reader: Any, n_pages: int, label: str) -> None:
    """A page object sits once in a real page tree; thousands of entries naming one page are
    built to make extraction take hours."""
    seen = set()
    for index in range(n_pages):
        ref = reader.pages[index].indirect_reference
        seen.add(ref.idnum if ref is not None else -index - 1)
    if len(seen) < n_pages:
        raise UnsafeInputError(
            f"{label} 的页面树有 {n_pages} 个页面条目，却只有 {len(seen)} 个不同的页面，"
            "疑似异常构造的 PDF，已跳过"
        )


def _pdf_text(data: bytes, label: str, max_pages: int = PDF_MAX_PAGES) -> AttachmentText:  # noqa: C901 - one guard per way a hostile PDF fails
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractError(f"{label} 是加密 PDF，需要密码才能读取；请取得未加密的版本")
        n_pages = len(reader.pages)
    except ExtractError:
        raise
    except (DependencyError, FileNotDecryptedError):
        raise ExtractError(f"{label} 是加密 PDF，当前无法解密；请取得未加密的版本") from None
    except (
        PdfReadError,
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        OSError,
        RecursionError,
        AssertionError,
        zipfile.BadZipFile,
    ) as exc:
        raise ExtractError(
            f"{label} 不是有效的 PDF 文件或已损坏（{type(exc).__name__}），请重新下载"
        ) from None
    if n_pages > max_pages:
        raise UnsafeInputError(f"{label} 有 {n_pages} 页，超过上限 {max_pages} 页，已跳过")
    _refuse_repeated_pages(reader, n_pages, label)
    pages: list[str] = []
    failed = 0
    size = 0
    for index in range(n_pages):
        try:
            text = reader.pages[index].extract_text() or ""
        except Exception as exc:  # pypdf raises many types on one bad page; keep the rest
            log.warning("%s: page %d unreadable: %s", label, index + 1, exc)
            failed += 1
            text = ""
        pages.append(text.replace("\r\n", "\n").replace("\r", "\n").strip("\n"))
        size += len(text)
        if size > MAX_TEXT_CHARS:
            failed = -1
            break
    if failed and failed == n_pages:
        raise ExtractError(f"{label} 的所有页面都无法解析，文件可能已损坏，请重新下载")
    text = PAGE_BREAK.join(pages)
    reason = None
    if not text.strip():
        reason = "PDF 中没有可提取的文字（可能是扫描件或图片），需要人工查看或 OCR"
    elif failed < 0:
        reason = _TRUNCATED.format(pages=f"（读到第 {len(pages)} 页）")
    elif failed:
        reason = f"有 {failed} 页无法解析，文字可能不完整"
    return AttachmentText(text, "pdf", True, reason, n_pages)


# --------------------------------------------------------------------------- DOCX


def _docx_text(data: bytes, label: str) -> AttachmentText:
    zf = _open_checked_zip(data, label, "DOCX")
    with zf:
        for info in zf.infolist():
            if info.filename.lower().endswith((".xml", ".rels")):
                _parse_xml(_read_member(zf, info.filename, label), label, info.filename)
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
        body = document.element.body
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, AttributeError) as exc:
        raise ExtractError(
            f"{label} 不是有效的 Word 文档（{type(exc).__name__}），请用 Word/WPS 打开后另存为 .docx"
        ) from None
    except Exception as exc:  # python-docx/lxml raise assorted types on broken parts
        raise ExtractError(
            f"{label} 无法解析（{type(exc).__name__}），请用 Word/WPS 打开后另存为 .docx"
        ) from None
    lines: list[str] = []
    _docx_blocks(body, lines)
    text = "\n".join(lines).strip("\n")
    reason = None if text.strip() else "Word 文档中没有文字（可能只有图片）"
    if len(text) > MAX_TEXT_CHARS:
        text, reason = text[:MAX_TEXT_CHARS], _TRUNCATED.format(pages="")
    return AttachmentText(text, "docx", True, reason, None)


def _docx_blocks(container: Any, out: list[str]) -> None:
    """Paragraphs and tables of a body (or cell) in document order; headers/footers never reach here."""
    for child in container:
        tag = child.tag
        if tag == _W + "p":
            extra: list[str] = []
            out.append(_docx_paragraph(child, extra))
            out.extend(extra)
        elif tag == _W + "tbl":
            for row in child.iter(_W + "tr"):
                if _nearest_table(row) is not child:
                    continue  # rows of nested tables are read inside their cell
                cells = [_docx_cell(tc) for tc in row if tc.tag == _W + "tc"]
                while cells and not cells[-1]:
                    cells.pop()
                if cells:
                    out.append(CELL_SEPARATOR.join(cells))
        elif tag in {_W + "sdt", _W + "customXml", _W + "sdtContent"}:
            _docx_blocks(child, out)


def _nearest_table(el: Any) -> Any:
    parent = el.getparent()
    while parent is not None and parent.tag != _W + "tbl":
        parent = parent.getparent()
    return parent


def _docx_cell(tc: Any) -> str:
    parts: list[str] = []
    _docx_blocks(tc, parts)
    return " ".join(p.strip() for p in parts if p.strip())


def _docx_paragraph(p: Any, textboxes: list[str]) -> str:
    """Visible text of one paragraph, tracked insertions included and deletions excluded."""
    buf: list[str] = []

    def walk(el: Any) -> None:
        for child in el:
            tag = child.tag
            if tag == _MC_FALLBACK or tag == _W + "del" or tag == _W + "pPr" or tag == _W + "rPr":
                continue
            if tag == _W + "t":
                buf.append(child.text or "")
            elif tag == _W + "tab":
                buf.append("\t")
            elif tag in {_W + "br", _W + "cr"}:
                buf.append("\n")
            elif tag == _W + "noBreakHyphen":
                buf.append("-")
            elif tag == _W + "txbxContent":
                _docx_blocks(child, textboxes)
            else:
                walk(child)

    walk(p)
    return "".join(buf)


# --------------------------------------------------------------------------- OFD


def _ofd_text(data: bytes, label: str) -> AttachmentText:
    """OFD (GB/T 33190): OFD.xml → DocRoot → Pages/Page/@BaseLoc → Content.xml → TextCode."""
    zf = _open_checked_zip(data, label, "OFD")
    with zf:
        names = {n.lower(): n for n in zf.namelist()}

        def load(path: str) -> Any:
            key = path.lstrip("/").lower()
            if key not in names:
                raise ExtractError(f"{label} 缺少部件「{path}」，OFD 文件可能已损坏")
            return _parse_xml(_read_member(zf, names[key], label), label, path)

        root = load("OFD.xml")
        doc_root = next(
            (el.text for el in root.iter() if _local(el.tag) == "DocRoot" and el.text), None
        )
        if not doc_root:
            raise ExtractError(f"{label} 的 OFD.xml 没有 DocRoot，文件可能已损坏")
        doc_path = _ofd_resolve("", doc_root.strip())
        document = load(doc_path)
        base = doc_path.rsplit("/", 1)[0] if "/" in doc_path else ""
        page_locs = [
            el.get("BaseLoc", "")
            for el in document.iter()
            if _local(el.tag) == "Page" and el.get("BaseLoc")
        ]
        pages: list[str] = []
        size = 0
        for loc in page_locs:
            page = load(_ofd_resolve(base, loc))
            text = _ofd_page_text(page)
            pages.append(text)
            size += len(text)
            if size > MAX_TEXT_CHARS:
                break
    text = PAGE_BREAK.join(pages)
    reason = None if text.strip() else "OFD 中没有可提取的文字（可能是扫描件），需要人工查看或 OCR"
    return AttachmentText(text, "ofd", True, reason, len(page_locs))


def _ofd_resolve(base: str, loc: str) -> str:
    loc = loc.replace("\\", "/")
    if loc.startswith("/"):
        return loc.lstrip("/")
    return f"{base}/{loc}" if base else loc


def _floats(value: str | None) -> list[float]:
    out: list[float] = []
    for piece in (value or "").replace(",", " ").split():
        try:
            out.append(float(piece))
        except ValueError:
            return []
    return out


def _ofd_page_text(page: Any) -> str:
    """Text objects placed on a page, grouped into lines by baseline and read left to right."""
    glyphs: list[tuple[float, float, str]] = []
    for obj in page.iter():
        if _local(obj.tag) != "TextObject":
            continue
        box = _floats(obj.get("Boundary"))
        ox, oy = (box[0], box[1]) if len(box) >= 2 else (0.0, 0.0)
        for code in obj:
            if _local(code.tag) != "TextCode" or not code.text:
                continue
            xs = _floats(code.get("X"))
            ys = _floats(code.get("Y"))
            glyphs.append((oy + (ys[0] if ys else 0.0), ox + (xs[0] if xs else 0.0), code.text))
    glyphs.sort()
    lines: list[list[tuple[float, str]]] = []
    last_y: float | None = None
    for y, x, text in glyphs:
        # Same line when baselines differ by under ~1 mm (OFD units are millimetres).
        if last_y is None or abs(y - last_y) > 1.0:
            lines.append([])
            last_y = y
        lines[-1].append((x, text))
    return "\n".join("".join(t for _, t in sorted(line)) for line in lines)
