"""Hostile input: every pure stage returns (or raises a WatcherError) within a time bound.

Pathological 100 KB inputs (random bytes, 10,000 nested elements, huge attributes, 100k 「（」,
50k 「一、」, one line without punctuation, ...) go through extract, normalize / match_key,
structure.parse, compare and discover.find_links, each call in a worker thread with a deadline
(a stuck regex cannot be interrupted by a signal, but it cannot hide from a join). Hypothesis
then generates random HTML, outline-like text and bytes, checking properties a user relies on.
Hostile archives and XML (zip bombs, oversized and traversing entries, billion laughs, external
entities) must be refused with UnsafeInputError, and nothing may be written outside the store.
"""

from __future__ import annotations

import io
import multiprocessing
import random
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watcher.analysis import compare
from watcher.config import ListSpec
from watcher.errors import ExtractError, UnsafeInputError, WatcherError
from watcher.ingest import attachments, discover, extract
from watcher.text import keys, normalize, structure

#: Seconds one call may take on a 100 KB input. extract gets more: on element-dense pages
#: (33k unclosed <p>) its trafilatura fallback alone takes ~2-3 s on a loaded 2-core runner.
BOUND_SECONDS = 2.0
EXTRACT_BOUND_SECONDS = 6.0
SIZE = 100_000


def bounded(fn: Callable[..., Any], *args: Any, seconds: float = BOUND_SECONDS) -> Any:
    """``fn(*args)`` within ``seconds``; a WatcherError is an answer, anything else a bug."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(fn, *args)
    try:
        return future.result(timeout=seconds)
    except FutureTimeout:
        pytest.fail(f"{getattr(fn, '__qualname__', fn)} took more than {seconds} s")
    except WatcherError as exc:
        return exc
    except Exception as exc:
        pytest.fail(f"{getattr(fn, '__qualname__', fn)} raised {type(exc).__name__}: {exc}"[:500])
    finally:
        pool.shutdown(wait=False)


_rng = random.Random(20251122)
PATHOLOGICAL: dict[str, str | bytes] = {
    "random_bytes": bytes(_rng.getrandbits(8) for _ in range(SIZE)),
    "nested_div_10k": "<html><body>"
    + "<div>" * 10_000
    + "正文内容。" * 20
    + "</div>" * 10_000
    + "</body></html>",
    "nested_table_3k": "<table><tr><td>" * 3000 + "单元格" + "</td></tr></table>" * 3000,
    "nested_inline_20k": "<span><b>" * 10_000 + "字" + "</b></span>" * 10_000,
    "huge_attributes": '<html><body><a href="/'
    + "x" * SIZE
    + '" title="'
    + "标" * SIZE
    + '">链接</a><p>正文</p></body></html>',
    "unclosed_p": "<p>" * (SIZE // 3),
    "comment_flood": "<!--" * (SIZE // 4),
    "script_brackets": "<script>var articleList=[" + "[{" * (SIZE // 4) + "</script>",
    "open_paren_100k": "（" * SIZE,
    "yi_dun_50k": "一、" * (SIZE // 2),
    "yi_dun_lines": "一、\n" * (SIZE // 3),
    "paren_number_lines": "（一）\n" * (SIZE // 4),
    "digit_dot": "1." * (SIZE // 2),
    "circled": "①" * SIZE,
    "chapter": "第一章" * (SIZE // 3),
    "article_lines": "第一条\n" * (SIZE // 4),
    "attachment_words": "附件" * (SIZE // 2),
    "balanced_parens": "（" * (SIZE // 2) + "）" * (SIZE // 2),
    "book_title_marks": "《" * SIZE,
    "year_runs": "2025年" * (SIZE // 5),
    "long_line_no_punct": "教育强国建设规划纲要" * (SIZE // 10),
    "ascii_no_space": "a" * SIZE,
    "spaces_between_cjk": "教 育 " * (SIZE // 4),
    "pinyin_like": "建設(shè)" * (SIZE // 8),
    "newlines": "\n" * SIZE,
    "form_feeds": "第 2 页 共 175 页\f" * (SIZE // 14),
    "nul_and_controls": "\x00\x01\x02\x0b\x1b" * (SIZE // 5),
    "lone_surrogates_replaced": "\ufffd\ufeff\u200b" * (SIZE // 3),
}
LIST_SPECS = {
    "html": ListSpec(url="http://h.example/", item="ul li a", date="span"),
    "json": ListSpec(url="http://h.example/", type="json", json_path="data.list"),
    "jsonp": ListSpec(url="http://h.example/", type="jsonp", json_path="data"),
    "inline_json": ListSpec(url="http://h.example/", type="inline_json", inline_key="articleList"),
    "was5": ListSpec(url="http://h.example/", type="was5", item="a"),
}


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode("latin-1")


def _stages(value: str | bytes) -> Iterator[tuple[str, float, Callable[[], Any]]]:
    """(stage name, time bound, call) for one input through every pure stage, in pipeline order."""
    text = _text(value)
    yield (
        "extract",
        EXTRACT_BOUND_SECONDS,
        lambda: extract.extract(value, "http://h.example/a.html"),
    )
    clean = normalize.normalize(text)
    yield "normalize", BOUND_SECONDS, lambda: normalize.normalize(text)
    yield "match_key", BOUND_SECONDS, lambda: keys.match_key(text)
    yield (
        "structure.parse",
        BOUND_SECONDS,
        lambda: structure.to_outline_json(structure.parse(clean, "标题")),
    )
    for kind, spec in LIST_SPECS.items():
        yield (
            f"find_links[{kind}]",
            BOUND_SECONDS,
            lambda spec=spec: discover.find_links(spec, text, "http://h.example/"),
        )


def _compare_stage(value: str | bytes) -> Iterator[tuple[str, float, Callable[[], Any]]]:
    clean = normalize.normalize(_text(value))
    tree = structure.parse(clean, "标题")
    other = structure.parse("一、总则\n（一）加强职业教育，建设高水平学校。\n" + clean[:20_000], "")
    yield "compare", BOUND_SECONDS, lambda: compare.compare(tree, other)


def _child(conn: Connection, name: str, staging: str) -> None:
    stages = _compare_stage if staging == "compare" else _stages
    for stage, _bound, call in stages(PATHOLOGICAL[name]):
        conn.send(("start", stage, 0.0, ""))
        started = time.monotonic()
        try:
            call()
            outcome = "ok"
        except WatcherError as exc:
            outcome = type(exc).__name__
        except BaseException as exc:  # reported to the parent as a bug
            outcome = f"BUG {type(exc).__name__}: {exc}"[:300]
        conn.send(("done", stage, time.monotonic() - started, outcome))
    conn.send(("end", "", 0.0, ""))


def run_bounded_stages(name: str, staging: str = "stages") -> list[tuple[str, float, str]]:
    """Run the stages for PATHOLOGICAL[name] in a forked child that is killed when a stage passes
    its bound (a thread could not be stopped and would burn CPU for the rest of the session)."""
    bounds = {
        stage: bound
        for stage, bound in (("extract", EXTRACT_BOUND_SECONDS), ("compare", BOUND_SECONDS))
    }
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(child, name, staging), daemon=True)
    proc.start()
    results: list[tuple[str, float, str]] = []
    # The child first prepares its inputs (normalize/parse for the compare stage): allow for it.
    deadline = time.monotonic() + 30.0
    current = "(setup)"
    try:
        while True:
            if not parent.poll(max(0.0, deadline - time.monotonic())):
                pytest.fail(
                    f"{name}: {current} did not return within its bound; the child was killed"
                )
            kind, stage, seconds, outcome = parent.recv()
            if kind == "start":
                current = stage
                deadline = time.monotonic() + bounds.get(stage, BOUND_SECONDS) * 1.5 + 0.5
            elif kind == "done":
                results.append((stage, seconds, outcome))
                deadline = time.monotonic() + 30.0
            else:
                return results
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(timeout=5)


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_input_through_every_stage(name: str) -> None:
    results = run_bounded_stages(name)
    assert len(results) == 4 + len(LIST_SPECS)
    for stage, seconds, outcome in results:
        assert not outcome.startswith("BUG"), f"{name}/{stage}: {outcome}"
        assert seconds <= (EXTRACT_BOUND_SECONDS if stage == "extract" else BOUND_SECONDS), (
            name,
            stage,
            seconds,
        )


#: compare pairs every sentence of a section with every sentence of its counterpart: quadratic.
#: On a heading-less text of thousands of short sentences it runs for minutes (reported to the
#: lead: watcher/compare.py _sentence_diff / similarity_matrix needs a candidate index or a cap).
QUADRATIC_COMPARE: set[str] = set()  # was {"article_lines"}: compare now refuses past its bounds


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            n,
            marks=pytest.mark.xfail(
                reason="compare is quadratic in sentences per section", strict=True
            ),
        )
        if n in QUADRATIC_COMPARE
        else n
        for n in sorted(PATHOLOGICAL)
    ],
)
def test_pathological_input_through_compare(name: str) -> None:
    [(_stage, seconds, outcome)] = run_bounded_stages(name, "compare")
    assert outcome in ("ok", "CompareError"), outcome
    assert seconds <= BOUND_SECONDS, seconds


# --------------------------------------------------------------------------- hypothesis

MARKERS = [
    "一、",
    "二、",
    "十三、",
    "（一）",
    "（二）",
    "(三)",
    "1.",
    "2．",
    "（1）",
    "①",
    "②",
    "第一章",
    "第二条",
    "附件1",
    "附件：",
    "到2027年，",
    "达到4%",
    "《",
    "》",
    "。",
    "，",
    "；",
    "：",
    "\n",
    " ",
    "\u3000",
]
WORDS = [
    "职业教育",
    "产教融合",
    "高水平",
    "学校",
    "建设",
    "规划",
    "纲要",
    "重庆",
    "实施",
    "方案",
    "通知",
    "教育强国",
    "数字化",
    "师资",
    "经费",
    "abc",
    "123",
    "（讨论稿）",
    "建設(shè)",
]
outline_text = st.lists(st.sampled_from(MARKERS + WORDS), max_size=300).map("".join)
TAGS = [
    "div",
    "p",
    "span",
    "a",
    "table",
    "tr",
    "td",
    "ul",
    "li",
    "h1",
    "script",
    "style",
    "meta",
    "br",
]


@st.composite
def html_pages(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 80))):
        kind = draw(st.integers(0, 4))
        tag = draw(st.sampled_from(TAGS))
        if kind == 0:
            attr = draw(
                st.sampled_from(
                    [
                        "",
                        ' class="article"',
                        ' href="/a/t1.html"',
                        ' href="javascript:x"',
                        ' id="zoom"',
                        ' name="ArticleTitle" content="标题"',
                        ' style="display:none"',
                    ]
                )
            )
            parts.append(f"<{tag}{attr}>")
        elif kind == 1:
            parts.append(f"</{tag}>")
        elif kind == 2:
            parts.append("<script>var scriptbody = '一、总则';</script>")
        else:
            parts.append(draw(outline_text))
    return "".join(parts)


FUZZ = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(html_pages())
def test_extract_any_html(page: str) -> None:
    article = bounded(
        extract.extract, page, "http://h.example/a/t1.html", seconds=EXTRACT_BOUND_SECONDS
    )
    if not isinstance(article, ExtractError):
        # Script bodies are code, never document text (whatever the markup around them).
        assert "scriptbody" not in article.text and isinstance(article.title, str)


@FUZZ
@given(st.binary(max_size=4000))
def test_extract_any_bytes(data: bytes) -> None:
    bounded(extract.extract, data, "http://h.example/a.html", seconds=EXTRACT_BOUND_SECONDS)


HEADS = [
    "一、",
    "二、",
    "三、",
    "（一）",
    "（二）",
    "（三）",
    "1.",
    "2.",
    "（1）",
    "①",
    "第一章",
    "第二条",
    "",
]
outline_docs = st.lists(
    st.tuples(
        st.sampled_from(HEADS), st.lists(st.sampled_from(WORDS[:16]), min_size=2, max_size=8)
    ),
    min_size=1,
    max_size=15,
).map(lambda rows: "\n".join(head + "".join(words) + "。" for head, words in rows))


@FUZZ
@given(outline_text)
def test_outline_like_text_parses_into_unique_section_ids(text: str) -> None:
    clean = bounded(normalize.normalize, text)
    tree = bounded(structure.parse, clean, "")
    ids = [s.id for s in structure.iter_sections(tree)]
    assert len(ids) == len(set(ids)), f"duplicate section ids {ids}"
    bounded(compare.compare, tree, tree)


@FUZZ
@given(outline_docs)
def test_a_plan_compared_with_itself_carries_everything_and_adds_nothing(text: str) -> None:
    tree = structure.parse(normalize.normalize(text), "")
    result = bounded(compare.compare, tree, tree)
    if isinstance(result, compare.Comparison):
        assert result.summary["new"] == 0 and result.summary["dropped"] == 0, result.summary


@FUZZ
@given(st.text(max_size=3000))
def test_normalize_and_match_key_on_any_text(text: str) -> None:
    clean = bounded(normalize.normalize, text)
    assert isinstance(clean, str) and "\r" not in clean
    key = bounded(keys.match_key, text)
    assert isinstance(key, str) and not any(ch.isspace() for ch in key)


@FUZZ
@given(
    st.sampled_from(sorted(LIST_SPECS)),
    st.one_of(
        html_pages(),
        st.text(max_size=2000),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=40),
            lambda c: (
                st.lists(c, max_size=5)
                | st.dictionaries(
                    st.sampled_from(["data", "list", "url", "title", "date", "articleList"]),
                    c,
                    max_size=5,
                )
            ),
            max_leaves=30,
        ).map(repr),
    ),
)
def test_find_links_on_any_list_body(kind: str, body: str) -> None:
    links = bounded(discover.find_links, LIST_SPECS[kind], body, "http://h.example/list/")
    if isinstance(links, list):
        for link in links:
            assert link.url.startswith(("http://", "https://")), link.url


# --------------------------------------------------------------------------- hostile archives and XML


def _zip(entries: dict[str, bytes], *, compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


OFD_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016">'
    b"<ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
)
DOCUMENT_XML = (
    b'<?xml version="1.0"?><ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Pages>'
    b'<ofd:Page ID="1" BaseLoc="{loc}"/></ofd:Pages></ofd:Document>'
)
CONTENT_XML = (
    b'<?xml version="1.0"?><ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer>'
    b'<ofd:TextObject ID="2" Boundary="0 0 100 10"><ofd:TextCode X="0" Y="5">{text}</ofd:TextCode>'
    b"</ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>"
)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>"
)
EXTERNAL_ENTITY = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def _ofd(**overrides: bytes) -> bytes:
    entries = {
        "OFD.xml": OFD_XML,
        "Doc_0/Document.xml": DOCUMENT_XML.replace(b"{loc}", b"Pages/Page_0/Content.xml"),
        "Doc_0/Pages/Page_0/Content.xml": CONTENT_XML.replace(b"{text}", "一、总则".encode()),
    }
    entries.update({k.replace("__", "/"): v for k, v in overrides.items()})
    return _zip(entries)


def test_a_well_formed_ofd_is_read() -> None:
    assert "一、总则" in attachments.text_from_bytes(_ofd(), "ofd").text


@pytest.mark.parametrize(
    ("part", "prolog", "root"),
    [
        (
            "OFD.xml",
            BILLION_LAUGHS,
            b"<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'>&lol9;</ofd:OFD>",
        ),
        (
            "OFD.xml",
            EXTERNAL_ENTITY,
            b"<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'>&xxe;</ofd:OFD>",
        ),
        (
            "Doc_0__Pages__Page_0__Content.xml",
            BILLION_LAUGHS,
            CONTENT_XML.split(b"?>", 1)[1].replace(b"{text}", b"&lol9;"),
        ),
        (
            "Doc_0__Pages__Page_0__Content.xml",
            EXTERNAL_ENTITY,
            CONTENT_XML.split(b"?>", 1)[1].replace(b"{text}", b"&xxe;"),
        ),
    ],
)
def test_xml_entity_attacks_in_ofd_are_refused(part: str, prolog: bytes, root: bytes) -> None:
    data = _ofd(**{part: prolog + root})
    assert isinstance(bounded(attachments.text_from_bytes, data, "ofd"), UnsafeInputError)


def test_ofd_page_location_cannot_leave_the_archive() -> None:
    data = _ofd(
        Doc_0__Document=b"",
        **{"Doc_0__Document.xml": DOCUMENT_XML.replace(b"{loc}", b"../../../../etc/passwd")},
    )
    with pytest.raises(ExtractError) as info:
        attachments.text_from_bytes(data, "ofd")
    assert "root:" not in str(info.value)


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "/etc/passwd", "word/../../x.xml", "C:\\windows\\x", "..\\..\\x"]
)
def test_docx_entries_that_traverse_paths_are_refused(name: str) -> None:
    data = _zip(
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>", name: b"x"}
    )
    with pytest.raises(UnsafeInputError):
        attachments.text_from_bytes(data, "docx")


def test_docx_zip_bomb_entry_is_refused_without_inflating_it() -> None:
    bomb = _zip(
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"\0" * (80 * 1024 * 1024)}
    )
    assert len(bomb) < 200_000
    assert isinstance(bounded(attachments.text_from_bytes, bomb, "docx"), UnsafeInputError)


def test_docx_with_lying_sizes_is_bounded(tmp_path: Path) -> None:
    """An entry whose header understates its size is cut at the declared size (CRC error)."""
    real = b"<w:document>" + b"A" * 3_000_000 + b"</w:document>"
    data = bytearray(_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": real}))
    # Patch the central directory's uncompressed size for word/document.xml down to 100 bytes.
    cd = data.rfind(b"PK\x01\x02", 0, data.rfind(b"word/document.xml") + 1)
    data[cd + 24 : cd + 28] = (100).to_bytes(4, "little")
    result = bounded(attachments.text_from_bytes, bytes(data), "docx")
    assert isinstance(result, ExtractError) or len(result.text) < 1000


def test_pathological_docx_and_pdf_bytes_are_extract_errors() -> None:
    for ext in ("docx", "pdf", "ofd"):
        for data in (
            b"PK\x03\x04" + bytes(1000),
            b"%PDF-1.7\n" + bytes(_rng.getrandbits(8) for _ in range(5000)),
            bytes(_rng.getrandbits(8) for _ in range(5000)),
        ):
            result = bounded(attachments.text_from_bytes, data, ext)
            assert isinstance(result, (WatcherError, attachments.AttachmentText))
