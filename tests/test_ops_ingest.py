"""What ingest promises under hostile input, against a real loopback site, real worker processes
and a real store: a pathological PDF is cut off by its budget with a clear message while
another source carries on, an attachment is read once, a page whose attachment is off-site is
kept, a page nested 100k levels deep keeps its text, and titles, texts and imported files are
capped with a message."""

from __future__ import annotations

import asyncio
import io
import logging
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.hostile import pathological_pdf
from tests.support.loopback import LoopbackServer, Reply
from watcher.config import parse_config
from watcher.ingest.attachments import MAX_TEXT_CHARS
from watcher.pipeline.cycle import Pipeline
from watcher.store import Store

HTML = {"Content-Type": "text/html; charset=utf-8"}
PDF = {"Content-Type": "application/pdf"}

CONFIG = """
settings:
  fetch: {{min_delay_seconds: 0, jitter_seconds: 0, retries: 0, timeout_seconds: 10}}
  extract: {{cpu_seconds: 2}}
sources:
{sources}
"""
SOURCE = """  - id: {id}
    name: 来源{id}
    level: district
    allow_private: true
    allowed_hosts: [127.0.0.1]
    lists: [{{url: "{base}/{id}/list.html", item: "ul li a"}}]
"""


def _list(*links: tuple[str, str]) -> str:
    items = "".join(f'<li><a href="{href}">{title}</a></li>' for href, title in links)
    return f'<html><head><meta charset="utf-8"></head><body><ul>{items}</ul></body></html>'


def _page(title: str, body: str) -> str:
    return (
        f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>'
        f'<div class="article"><h1>{title}</h1>{body}</div></body></html>'
    )


def _config(srv: LoopbackServer, *ids: str) -> str:
    sources = "".join(SOURCE.format(id=i, base=srv.base_url) for i in ids)
    return CONFIG.format(sources=sources)


def _cycle(tmp_path: Path, text: str) -> tuple[Path, dict[str, object]]:
    db = tmp_path / "w.db"
    with Store.open(db) as store:
        report = asyncio.run(Pipeline(parse_config(text), store).run_cycle())
    return db, {o.source_id: o for o in report.outcomes}


POLICY = _page(
    "关于开展职业教育活动周的通知",
    "<p>各镇街、区级各部门：</p><p>一、活动主题。围绕产教融合开展展示活动。</p>"
    "<p>二、工作要求。各单位于7月20日前报送活动总结。</p>",
)


@pytest.mark.parametrize(
    ("shared_page", "message"), [(False, "CPU 时间"), (True, "只有 1 个不同的页面")]
)
def test_a_pathological_pdf_is_cut_off_while_another_source_proceeds(
    tmp_path: Path, shared_page: bool, message: str
) -> None:
    pdf = pathological_pdf(2999, shared_page=shared_page)
    assert len(pdf) < 700_000
    with LoopbackServer() as srv:
        srv.route("/a/list.html", Reply(body=_list(("/a/plan.pdf", "规划全文")), headers=HTML))
        srv.route("/a/plan.pdf", Reply(body=pdf, headers=PDF))
        # The other source's site is slow: its pages arrive while the PDF is being read.
        srv.route(
            "/b/list.html", Reply(body=_list(("/b/t1.html", "通知")), headers=HTML, delay=0.3)
        )
        srv.route("/b/t1.html", Reply(body=POLICY, headers=HTML, delay=0.3))
        db, outcomes = _cycle(tmp_path, _config(srv, "a", "b"))
    a, b = outcomes["a"], outcomes["b"]
    assert a.status == "failed" and message in str(a.error), a.error
    assert b.status == "ok" and b.new_documents == 1
    with Store.open(db) as store:
        rows = store.query("SELECT id, url, outcome FROM fetches ORDER BY id")
    pdf_fetch = next(
        r["id"] for r in rows if r["url"].endswith("plan.pdf") and r["outcome"] != "extract_error"
    )
    failed = next(r["id"] for r in rows if r["outcome"] == "extract_error")
    b_page = next(r["id"] for r in rows if r["url"].endswith("/b/t1.html"))
    if not shared_page:  # the budget ran for seconds: the other source was served meanwhile
        assert pdf_fetch < b_page < failed, rows


def _body_only_page(href: str) -> str:
    return _page(
        "关于印发职业教育专项规划的通知", f'<p>附件：<a href="{href}">专项规划.pdf</a></p>'
    )


def test_a_page_that_is_only_its_attachment_reads_it_once(tmp_path: Path) -> None:
    with LoopbackServer() as srv:
        srv.route("/a/list.html", Reply(body=_list(("/a/t1.html", "专项规划")), headers=HTML))
        srv.route("/a/t1.html", Reply(body=_body_only_page("/a/plan.pdf"), headers=HTML))
        srv.route(
            "/a/plan.pdf", Reply(body=pathological_pdf(2, shared_page=False, ops=30), headers=PDF)
        )
        db, outcomes = _cycle(tmp_path, _config(srv, "a"))
        hits = srv.hits("/a/plan.pdf")
    assert outcomes["a"].status == "ok"
    assert hits == 1
    with Store.open(db) as store:
        docs = store.documents(limit=10)
        assert len(docs) == 1
        text = store.versions(docs[0].id)[-1].text
    assert "policy" in text  # the page's text is the attachment's


def test_a_page_whose_main_attachment_is_off_site_is_kept_with_the_link(tmp_path: Path) -> None:
    offsite = "http://files.example-cdn.cn/upload/plan.pdf"
    with LoopbackServer() as srv:
        srv.route("/a/list.html", Reply(body=_list(("/a/t1.html", "专项规划")), headers=HTML))
        srv.route("/a/t1.html", Reply(body=_body_only_page(offsite), headers=HTML))
        db, outcomes = _cycle(tmp_path, _config(srv, "a"))
    assert outcomes["a"].status == "ok" and outcomes["a"].new_documents == 1
    with Store.open(db) as store:
        doc = store.documents(limit=10)[0]
        version = store.versions(doc.id)[-1]
    assert "专项规划" in doc.title
    assert [a["url"] for a in version.attachments] == [offsite]


def test_a_page_nested_100k_levels_deep_keeps_its_text_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    depth = 100_000
    deep = _page(
        "关于加强实训基地建设的通知",
        "<div>" * depth
        + "<p>第一条 为了规范职业教育实训基地建设，制定本办法。</p>"
        + "</div>" * depth,
    )
    with LoopbackServer() as srv:
        srv.route("/a/list.html", Reply(body=_list(("/a/t1.html", "实训基地")), headers=HTML))
        srv.route("/a/t1.html", Reply(body=deep, headers=HTML))
        with caplog.at_level(logging.WARNING):
            db, outcomes = _cycle(tmp_path, _config(srv, "a"))
    assert outcomes["a"].status == "ok"
    with Store.open(db) as store:
        doc = store.documents(limit=10)[0]
        text = store.versions(doc.id)[-1].text
    assert "规范职业教育实训基地建设" in text
    assert any("nested deeper" in r.getMessage() for r in caplog.records)


def test_a_million_character_title_is_stored_cut(tmp_path: Path) -> None:
    title = "关于" + "职业教育" * 262_500 + "的通知"
    page = POLICY.replace(
        "<title>关于开展职业教育活动周的通知</title>",
        f'<title>{title}</title><meta name="ArticleTitle" content="{title}">',
    ).replace("<h1>关于开展职业教育活动周的通知</h1>", "")
    with LoopbackServer() as srv:
        srv.route("/a/list.html", Reply(body=_list(("/a/t1.html", "通知")), headers=HTML))
        srv.route("/a/t1.html", Reply(body=page, headers=HTML))
        db, _ = _cycle(tmp_path, _config(srv, "a"))
    with Store.open(db) as store:
        stored = store.documents(limit=10)[0].title
    assert len(title) > 1_000_000 and 0 < len(stored) <= 300 and stored.endswith("…")


def _docx(paragraphs: list[str]) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'
        ),
        "word/document.xml": f'<?xml version="1.0" encoding="UTF-8"?><w:document {ns}><w:body>{body}</w:body></w:document>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
    return out.getvalue()


def test_a_docx_past_the_text_cap_is_cut_with_a_reason() -> None:
    from watcher.ingest.sandbox import Budget, extract_isolated

    rng = random.Random(7)
    alphabet = "职业教育产教融合实训基地建设规划发展改革创新人才培养质量体系"
    paragraphs = ["".join(rng.choices(alphabet, k=1_000_000)) for _ in range(6)]
    result = extract_isolated(_docx(paragraphs), "docx", name="大文件.docx", budget=Budget())
    assert len(result.text) == MAX_TEXT_CHARS
    assert result.reason is not None and "上限" in result.reason


def test_importing_an_oversized_html_file_is_refused_with_a_message(tmp_path: Path) -> None:
    big = tmp_path / "汇编.html"
    with big.open("w", encoding="utf-8") as fh:
        fh.write('<html><head><meta charset="utf-8"></head><body>')
        paragraph = "<p>" + "职业教育" * 500 + "</p>\n"
        for _ in range(21 * 1024 * 1024 // len(paragraph.encode()) + 1):
            fh.write(paragraph)
        fh.write("</body></html>")
    done = subprocess.run(
        [sys.executable, "-m", "watcher", "--store", str(tmp_path / "w.db"), "import", str(big)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "超过网页文件上限" in done.stderr and "Traceback" not in done.stderr
