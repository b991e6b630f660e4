"""Bytes → text, and what the bytes are: the pure half of fetching.

``decode_html`` picks the codec (header charset, then ``<meta>``, then detection; GBK/GB2312
decode as gb18030, Big5 as big5hkscs), ``is_text_content`` tells pages from files by type and by
the bytes' own signature, ``detect_challenge`` recognises anti-bot pages (加速乐, 瑞数, 阿里云
WAF) so they are failures, never content. Used by the fetcher and by extraction of local files.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

__all__ = ["binary_kind", "decode_html", "detect_challenge", "is_text_content"]

# --------------------------------------------------------------------------- heuristics as data

#: Statuses that are a challenge whatever the body says (瑞数 answers 412, 加速乐 521).
CHALLENGE_STATUSES: dict[int, str] = {412: "瑞数(RS)/WAF", 521: "加速乐(JSL)"}
#: Newer 加速乐 answers 512 with a script that sets a cookie, then 200.
JS_COOKIE_STATUSES = frozenset({512})
#: Body markers of challenge pages and the vendor each one names.
CHALLENGE_MARKERS: tuple[tuple[bytes, str], ...] = (
    (b"__jsl_clearance", "加速乐(JSL)"),
    (b"$_ts", "瑞数(RS)"),
    (b'<meta content="{qqq', "瑞数(RS)"),
    (b"acw_sc__v2", "阿里云 WAF"),
)
#: A page showing more text than this is real content even if a protection script rides along.
CHALLENGE_MAX_VISIBLE_CHARS = 2048
#: Bytes of a page scanned for challenge markers and visible text.
CHALLENGE_SCAN_BYTES = 256 * 1024
#: A page that sets document.cookie by script and is smaller than this (bytes), or shows fewer
#: characters than COOKIE_PAGE_MAX_VISIBLE, is a cookie challenge.
COOKIE_PAGE_MAX_BYTES = 2048
COOKIE_PAGE_MAX_VISIBLE = 200
_COOKIE_SCRIPT = re.compile(rb"document\.cookie\s*=")
_SCRIPT_OR_STYLE = re.compile(rb"<(script|style)\b.*?</\1\s*>", re.S | re.I)
_TAG = re.compile(rb"<[^>]*>")
_SPACE = re.compile(rb"\s+|&nbsp;")

#: Content types decoded to text (besides text/* and +xml / +json).
TEXT_TYPES = frozenset(
    {
        "application/xhtml+xml",
        "application/xml",
        "application/json",
        "application/javascript",
        "application/x-javascript",
        "application/rss+xml",
        "application/atom+xml",
    }
)
#: Content types that are never text, even when they look like it.
BINARY_TYPES = frozenset({"application/octet-stream", "application/pdf", "application/zip"})
#: File signatures and what to call them when a page turns out to be one.
BINARY_KINDS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF 文件"),
    (b"PK\x03\x04", "ZIP 压缩包或 Word/OFD 文档"),
    (b"\xd0\xcf\x11\xe0", "旧版 Office 文档（.doc/.xls）"),
    (b"Rar!", "RAR 压缩包"),
    (b"\x89PNG", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"\x1f\x8b", "gzip 压缩文件"),
)
_BINARY_MAGIC = tuple(magic for magic, _ in BINARY_KINDS)

#: Charset labels browsers accept that Python does not know, mapped to Python codec names.
CHARSET_ALIASES = {
    "x-gbk": "gbk",
    "gb_2312-80": "gb2312",
    "csgb2312": "gb2312",
    "x-euc-cn": "gb2312",
    "windows-936": "gbk",
    "ms936": "gbk",
    "x-x-big5": "big5",
    "big5-hkscs": "big5hkscs",
    "unicode-1-1-utf-8": "utf-8",
    "x-unicode20utf8": "utf-8",
}
#: Codecs replaced by their superset (Python codec names after lookup).
CODEC_SUPERSETS = {
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "gb18030": "gb18030",
    "hz": "gb18030",
    "big5": "big5hkscs",
    "cp950": "big5hkscs",
    "big5hkscs": "big5hkscs",
}
#: Western single-byte labels are Java/Tomcat defaults, not a statement about Chinese pages.
UNTRUSTED_CODECS = frozenset({"iso8859-1", "cp1252", "ascii"})
#: Valid UTF-8 with at least this many non-ASCII bytes is UTF-8 whatever the label says.
UTF8_OVERRIDE_MIN_NON_ASCII = 16
#: Replacement characters tolerated (share of length) before a declared codec is distrusted.
MAX_REPLACEMENT_SHARE = 0.005
META_SCAN_BYTES = 128 * 1024  # some CMSs put <meta charset> after a 50 KB inline script
DETECT_SAMPLE_BYTES = 256 * 1024
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


# --------------------------------------------------------------------------- decoding


def _codec(label: str | None) -> str | None:
    """Python codec for a charset label, widened to its superset; None if unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = CHARSET_ALIASES.get(name, name)
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return None
    return CODEC_SUPERSETS.get(name, name)


def _valid_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _non_ascii(content: bytes) -> int:
    return len(content) - len(content.decode("ascii", "ignore"))


def decode_html(content: bytes, content_type: str | None) -> tuple[str, str]:  # noqa: C901 - the charset rules in their documented order
    """Decode a text body; returns (text, codec). Never raises on bad bytes.

    Order: BOM, the Content-Type charset, ``<meta charset>`` / ``http-equiv`` in the head,
    then UTF-8, then charset_normalizer. Valid UTF-8 with real non-ASCII content wins over a
    contrary label (GBK text essentially never validates as UTF-8); Western single-byte labels
    are ignored for non-ASCII bodies; a declared codec that leaves more than a few replacement
    characters is passed over. The last resort decodes with ``errors="replace"``.
    """
    for bom, codec in _BOMS:
        if content.startswith(bom):
            return content.decode(codec, "replace"), codec
    declared: list[str] = []
    header = _HEADER_CHARSET.search(content_type or "")
    head_end = content.find(b"</head", 0, META_SCAN_BYTES)
    meta = _META_CHARSET.search(content, 0, head_end if head_end > 0 else META_SCAN_BYTES)
    labels = (
        header.group(1) if header else None,
        meta.group(1).decode("ascii", "replace") if meta else None,
    )
    for label in labels:
        found = _codec(label)
        if found and found not in declared:
            declared.append(found)
    non_ascii = _non_ascii(content)
    if non_ascii == 0:
        return content.decode("ascii"), declared[0] if declared else "utf-8"
    if non_ascii >= UTF8_OVERRIDE_MIN_NON_ASCII and _valid_utf8(content):
        return content.decode("utf-8"), "utf-8"
    for codec in declared:
        if codec in UNTRUSTED_CODECS:
            continue
        text = content.decode(codec, "replace")
        if text.count("\ufffd") <= max(2, MAX_REPLACEMENT_SHARE * len(text)):
            return text, codec
    if _valid_utf8(content):
        return content.decode("utf-8"), "utf-8"
    best = from_bytes(content[:DETECT_SAMPLE_BYTES]).best()
    guess = _codec(best.encoding) if best is not None else None
    if guess and guess not in UNTRUSTED_CODECS:
        return content.decode(guess, "replace"), guess
    # Chinese sites that neither declare nor validate as UTF-8 are GB-encoded far more often than not.
    fallback = next((c for c in declared if c not in UNTRUSTED_CODECS), "gb18030")
    return content.decode(fallback, "replace"), fallback


def binary_kind(content: bytes) -> str | None:
    """What a body is when it is a file rather than text (「PNG 图片」), else None; bytes
    with NUL characters and no known signature are 「二进制文件」."""
    head = content[:512].lstrip()
    for magic, kind in BINARY_KINDS:
        if head.startswith(magic):
            return kind
    if b"\x00" in content[:4096] and not content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "二进制文件"
    return None


def is_text_content(content_type: str | None, content: bytes) -> bool:
    """Whether a body should be decoded to text (HTML, XML, JSON, JS) rather than kept as a file."""
    ct = (content_type or "").split(";")[0].strip().lower()
    if ct in BINARY_TYPES:
        return False
    if content[:512].lstrip().startswith(_BINARY_MAGIC):
        return False  # a PDF or archive mislabelled text/html is a file, whatever the header says
    if ct.startswith("text/") or ct in TEXT_TYPES or ct.endswith(("+xml", "+json")):
        return True
    if ct:
        return False
    head = content[:512].lstrip()
    if head.startswith(_BINARY_MAGIC):
        return False
    return head.startswith(b"<") or _valid_utf8(content[:4096])


# --------------------------------------------------------------------------- challenge pages


def _visible_chars(content: bytes) -> int:
    stripped = _SPACE.sub(
        b"", _TAG.sub(b"", _SCRIPT_OR_STYLE.sub(b"", content[:CHALLENGE_SCAN_BYTES]))
    )
    return len(stripped.decode("utf-8", "replace"))


def detect_challenge(status: int, content_type: str | None, content: bytes) -> str | None:
    """The anti-bot vendor if this answer is a challenge page instead of content, else None."""
    if status in CHALLENGE_STATUSES:
        return CHALLENGE_STATUSES[status]
    if content_type and not is_text_content(content_type, content[:4096]):
        return None
    sample = content[:CHALLENGE_SCAN_BYTES]
    sets_cookie = _COOKIE_SCRIPT.search(sample) is not None
    if status in JS_COOKIE_STATUSES and sets_cookie:
        return "加速乐(JSL)"
    marker = next((vendor for sig, vendor in CHALLENGE_MARKERS if sig in sample), None)
    if marker is None and not sets_cookie:
        return None
    visible = _visible_chars(sample)
    if marker is not None and visible < CHALLENGE_MAX_VISIBLE_CHARS:
        return marker
    if sets_cookie and (len(content) < COOKIE_PAGE_MAX_BYTES or visible < COOKIE_PAGE_MAX_VISIBLE):
        return marker or "JS cookie 验证"
    return None
