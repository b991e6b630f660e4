"""Identity that never loses a document, end to end on a loopback site, a real SQLite file and
the real CLI: a shared 发文字号 alone never merges two documents whose titles disagree; every
merge is logged with its reason, listed by ``watcher documents --aliases`` and undone by
``watcher unmerge``; attachments are children of their page (web, alerts, digest), never
top-level documents titled with the 文号; 解读 and news are commentary, not 规划, and news never
carries a government level."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import docx
from click.testing import CliRunner
from starlette.testclient import TestClient

from tests.support.loopback import LoopbackServer, Reply
from watcher.cli import main
from watcher.store import Store
from watcher.web import create_app

HTML = {"Content-Type": "text/html; charset=utf-8"}
DOCX = {"Content-Type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
NUMBER = "渝教发〔2025〕9号"
ZHAOSHENG = "关于做好2025年职业院校招生工作的通知"
CHENGGUO = "关于公布2025年市级职业教育教学成果奖评审结果的通知"


def _page(
    title: str, number: str, body: str, attachment: str = "", href: str = "/files/a.docx"
) -> str:
    link = f'<p>附件：<a href="{href}">{attachment}</a></p>' if attachment else ""
    return (
        f'<html><head><title>{title}</title></head><body><h1 class="title">{title}</h1>'
        f'<table class="meta"><tr><td>发文字号：</td><td>{number}</td>'
        f"<td>发布机构：</td><td>重庆市教育委员会</td></tr></table>"
        f'<div class="zw"><p>各区县教委，各职业院校：</p><p>{body}</p>{link}</div></body></html>'
    )


def _body(topic: str, extra: str = "") -> str:
    sentence = f"为做好{topic}，现将有关事项通知如下。一、总体要求。坚持公平公正，规范工作秩序，"
    return sentence * 4 + "加强组织领导，压实工作责任。" + extra


def _docx(text: str) -> bytes:
    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _config(tmp_path: Path, base: str) -> Path:
    detail = (
        '    detail: {title: "h1.title", body: "div.zw", meta_table: "table.meta"}\n'
        "    allow_private: true\n"
    )
    path = tmp_path / "sources.yaml"
    path.write_text(
        "settings:\n  fetch: {retries: 0, min_delay_seconds: 0, jitter_seconds: 0}\n"
        "sources:\n"
        f"  - id: cq-jw\n    name: 重庆市教育委员会\n    level: 市级\n"
        f'    lists:\n      - url: "{base}/list/"\n        item: "ul li a"\n'
        + detail
        + "  - id: mirror\n    name: 转载网站\n    level: 区县\n"
        f'    lists:\n      - url: "{base}/mirror/"\n        item: "ul li a"\n' + detail,
        encoding="utf-8",
    )
    return path


def _list(*paths: str) -> Reply:
    items = "".join(f'<li><a href="{p}">文件{i}</a></li>' for i, p in enumerate(paths))
    return Reply(body=f"<html><body><ul>{items}</ul></body></html>", headers=HTML)


def _cli(config: Path, db: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--config", str(config), "--store", str(db), *args])
    assert result.exit_code == 0, result.output
    return result.output


def _site(srv: LoopbackServer) -> None:
    attachment = f"{NUMBER}重庆市教育委员会{ZHAOSHENG}.docx"
    srv.route("/list/", _list("/a.html", "/b.html"))
    srv.route(
        "/a.html", Reply(body=_page(ZHAOSHENG, NUMBER, _body("招生工作"), attachment), headers=HTML)
    )
    # A second notice that carries the same (wrongly reused) number.
    srv.route("/b.html", Reply(body=_page(CHENGGUO, NUMBER, _body("成果奖评审")), headers=HTML))
    srv.route("/mirror/", _list("/mirror/a.html"))
    # A copy of the first notice on another site, same number and (wrapped) title.
    srv.route(
        "/mirror/a.html",
        Reply(body=_page("重庆市教育委员会" + ZHAOSHENG, NUMBER, _body("招生工作")), headers=HTML),
    )
    srv.route(
        "/files/a.docx",
        Reply(body=_docx("招生工作安排表\n一、时间安排\n2025年6月完成志愿填报。"), headers=DOCX),
    )


def test_a_shared_number_with_a_different_title_is_two_documents(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    with LoopbackServer() as srv:
        _site(srv)
        config = _config(tmp_path, srv.base_url)
        _cli(config, db, "check")
        # The second notice is revised: that is a new version of *it*, not "unchanged".
        srv.route(
            "/b.html",
            Reply(
                body=_page(CHENGGUO, NUMBER, _body("成果奖评审", "新增一等奖十项。")), headers=HTML
            ),
        )
        _cli(config, db, "check")
    with Store.open(db) as store:
        top = store.documents(top_level=True)
        # The two copies of the first notice are one document, whichever source came first.
        (zhaosheng,) = [d for d in top if d.title.endswith(ZHAOSHENG)]
        (chengguo,) = [d for d in top if d.title == CHENGGUO]
        assert len(store.versions(chengguo.id)) == 2
        assert len(store.versions(zhaosheng.id)) == 1
        decisions = store.alias_decisions()
    separate = [d for d in decisions if d.decision == "separate"]
    assert separate and NUMBER in separate[0].reason and "标题不同" in separate[0].reason


def test_a_merge_is_listed_with_its_reason_and_can_be_undone(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    with LoopbackServer() as srv:
        _site(srv)
        config = _config(tmp_path, srv.base_url)
        _cli(config, db, "check")
        copies = {srv.url("/mirror/a.html"), srv.url("/a.html")}  # sources run concurrently
    listing = _cli(config, db, "documents", "--aliases", "--json")
    merged = [d for d in json.loads(listing) if d["decision"] == "merged"]
    assert len(merged) == 1 and merged[0]["url"] in copies
    mirror = merged[0]["url"]
    assert NUMBER in merged[0]["reason"] and "标题一致" in merged[0]["reason"]
    table = _cli(config, db, "documents", "--aliases")
    assert "合并为副本" in table
    with Store.open(db) as store:
        before = len(store.documents())
    out = _cli(config, db, "unmerge", str(merged[0]["id"]))
    assert "单独的文件" in out
    with Store.open(db) as store:
        split = store.document_by_url(mirror)
        assert split is not None and len(store.versions(split.id)) == 1
        assert "招生工作" in store.latest_version_text(split.id)[1]
        assert len(store.documents()) == before + 1
        assert store.aliases(merged[0]["document_id"]) == []
        assert [d.decision for d in store.alias_decisions() if d.url == mirror] == ["undone"]
    undo_again = CliRunner().invoke(
        main, ["--config", str(config), "--store", str(db), "unmerge", str(merged[0]["id"])]
    )
    assert undo_again.exit_code != 0 and "不是一次合并" in undo_again.output


def test_an_attachment_is_a_child_of_its_page_in_cli_web_alerts_and_digest(
    tmp_path: Path,
) -> None:
    db = tmp_path / "w.db"
    with LoopbackServer() as srv:
        _site(srv)
        config = _config(tmp_path, srv.base_url)
        _cli(config, db, "check")  # first run: the baseline
        srv.route("/list/", _list("/c.html", "/a.html", "/b.html"))
        srv.route(
            "/c.html",
            Reply(
                body=_page(
                    "关于开展职业院校技能大赛的通知",
                    "渝教发〔2025〕11号",
                    _body("技能大赛"),
                    "渝教发〔2025〕11号大赛规程.docx",
                    href="/files/c.docx",
                ),
                headers=HTML,
            ),
        )
        srv.route(
            "/files/c.docx", Reply(body=_docx("大赛规程\n一、赛项设置\n设20个赛项。"), headers=DOCX)
        )
        _cli(config, db, "check")  # second run: c.html and its attachment are new
    with Store.open(db) as store:
        top = store.documents(top_level=True)
        assert not [d for d in top if d.origin == "attachment"]
        assert not [d for d in store.documents() if re.match(r"^渝教发〔", d.title)]
        page = next(d for d in top if d.title == "关于开展职业院校技能大赛的通知")
        (child,) = store.children(page.id)
        assert child.attachment_of == page.id and child.title == "大赛规程"
        alerts = store.alerts(limit=100)
    new_docs = [a for a in alerts if a["kind"] == "new_document" and a["document_id"]]
    assert [a["document_id"] for a in new_docs] == [page.id], "no alert of its own"
    assert "附件：渝教发〔2025〕11号大赛规程.docx" in new_docs[0]["body"]
    listing = _cli(config, db, "documents")
    assert "└附件：大赛规程" in listing
    web = TestClient(create_app(db))
    documents_page = web.get("/documents").text
    assert documents_page.count(f'href="/documents/{child.id}"') == 1
    assert documents_page.index(f"/documents/{page.id}") < documents_page.index(
        f"/documents/{child.id}"
    )
    assert "附件，属于" in web.get(f"/documents/{child.id}").text
    today = datetime.now(UTC).date().isoformat()
    _cli(config, db, "digest", "--week", today, "--out", str(tmp_path))
    (md,) = tmp_path.glob("digest-*.md")
    digest = md.read_text(encoding="utf-8")
    assert "【附件】大赛规程" in digest
    entries = re.findall(r"^#+ [一二三四五六七八九十]+、.*$", digest, flags=re.M)
    assert any("技能大赛" in e for e in entries), entries
    assert not any("大赛规程" in e for e in entries), "an attachment is not an entry of its own"


def test_commentary_and_news_are_classed_and_levelled(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    jiedu = "市教委负责人解读《重庆加快建设教育强市推进教育现代化规划（2024—2035年）》"
    news = "青海省以“四力”推动职业教育高质量发展"
    news_text = (
        "（教育部简报〔2024〕第61期）"
        + "青海省认真学习贯彻全国教育大会精神，加快构建现代职业教育体系。" * 5
    )
    with LoopbackServer() as srv:
        srv.route("/list/", _list("/j.html", "/n.html"))
        srv.route("/j.html", Reply(body=_page(jiedu, "", _body("规划解读")), headers=HTML))
        srv.route("/n.html", Reply(body=_page(news, "", news_text), headers=HTML))
        srv.route("/mirror/", _list())
        path = tmp_path / "sources.yaml"
        path.write_text(
            "settings:\n  fetch: {retries: 0, min_delay_seconds: 0, jitter_seconds: 0}\n"
            "sources:\n  - id: moe\n    name: 教育部\n    level: 部委\n    allow_private: true\n"
            f'    lists:\n      - url: "{srv.base_url}/list/"\n        item: "ul li a"\n'
            '    detail: {title: "h1.title", body: "div.zw"}\n',
            encoding="utf-8",
        )
        _cli(path, db, "check")
    with Store.open(db) as store:
        docs = {d.title: d for d in store.documents()}
    assert docs[jiedu].kind == "解读"
    assert docs[news].kind == "新闻" and docs[news].level == "media"
