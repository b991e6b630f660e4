"""The read-only web UI: every page in-process, fetched content shown inert, and the comparison
page of the Chongqing 规划 against the national 纲要 rendered by a real headless Chromium."""

from __future__ import annotations

import io
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from watcher.store import Store
from watcher.web import create_app

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
XSS_TITLE = '<script>alert("xss")</script>关于印发某方案的通知'


@pytest.fixture(scope="module")
def store_path(demo_store: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo store plus one hostile document."""
    path = tmp_path_factory.mktemp("web") / "watcher.db"
    with Store.open(demo_store["path"]) as src:
        src.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(demo_store["path"], path)
    with Store.open(path) as store:
        store.save_version(
            url="javascript:alert(1)",
            identity_key="xss",
            title=XSS_TITLE,
            text='一、总则\n点击<a href="javascript:alert(2)">这里</a><img src=x onerror=alert(3)>',
            text_hash="xss",
            source_id=None,
            level="district",
        )
    return path


@pytest.fixture(scope="module")
def client(store_path: Path) -> TestClient:
    return TestClient(create_app(store_path))


def _doc_id(store_path: Path, needle: str) -> int:
    with Store.open(store_path) as store:
        return next(
            d.id for d in store.documents(limit=1000) if needle in d.title and "解读" not in d.title
        )


def test_every_page_renders(client: TestClient, store_path: Path) -> None:
    cq = _doc_id(store_path, "教育强市推进教育现代化规划")
    with Store.open(store_path) as store:
        revised = next(d for d in store.documents(limit=1000) if len(store.versions(d.id)) > 1)
        v1, v2 = store.versions(revised.id)[:2]
    for url in (
        "/",
        "/documents",
        "/documents?q=产教融合",
        "/documents?level=national",
        f"/documents/{cq}",
        f"/documents/{cq}/compare",
        f"/diff/{v1.id}/{v2.id}",
        "/digests",
        "/healthz",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    assert "application/atom+xml" in client.get("/feed.atom").headers["content-type"]
    assert client.get("/documents/999999").status_code == 404


def test_search_finds_chinese_text(client: TestClient) -> None:
    page = client.get("/documents", params={"q": "教育强国"}).text
    assert "教育强国建设规划纲要" in page
    assert "共 0 个文档" in client.get("/documents", params={"q": "不存在的词语组合"}).text


def test_version_diff_highlights_characters(client: TestClient, store_path: Path) -> None:
    with Store.open(store_path) as store:
        revised = next(d for d in store.documents(limit=1000) if len(store.versions(d.id)) > 1)
        v1, v2 = store.versions(revised.id)[:2]
    page = client.get(f"/diff/{v1.id}/{v2.id}").text
    assert "<ins" in page or "<del" in page


def test_fetched_content_is_inert(client: TestClient, store_path: Path) -> None:
    doc = _doc_id(store_path, "关于印发某方案的通知")
    page = client.get(f"/documents/{doc}").text
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert 'href="javascript:' not in page
    assert "<img src=x" not in page
    listing = client.get("/documents").text
    assert "<script>alert" not in listing


def test_only_reads(client: TestClient) -> None:
    assert client.post("/documents").status_code == 405


def test_the_environment_account_still_guards_every_page(store_path: Path) -> None:
    """WATCHER_WEB_USER / WATCHER_WEB_PASSWORD (the old Basic-auth pair) still close every page:
    browsers are sent to the login form, feed readers and scripts may still use Basic auth."""
    from watcher.config import WebSettings
    from watcher.web import AuthOptions

    env = {"WATCHER_WEB_USER": "editor", "WATCHER_WEB_PASSWORD": "s3cret"}
    auth = AuthOptions.from_settings(WebSettings(), env, exposed=False)
    guarded = TestClient(create_app(store_path, auth=auth), follow_redirects=False)
    assert guarded.get("/").headers["location"] == "/login?next=/"
    assert guarded.get("/feed.atom").status_code == 401
    assert guarded.get("/", auth=("editor", "wrong")).status_code == 401
    assert guarded.get("/", auth=("editor", "s3cret")).status_code == 200
    assert guarded.get("/healthz").status_code == 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _in_chromium(store_path: Path, path: str, tmp_path: Path, shot: Path | None = None) -> str:
    """Serve the store on a loopback port, load ``path`` in headless Chromium and return the
    DOM after scripts ran (and a screenshot to ``shot``)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(store_path), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}{path}"
        flags = [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
        dom = subprocess.run(
            [chromium, *flags, "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=90,
            check=True,
        ).stdout
        if shot is not None:
            ARTIFACTS.mkdir(exist_ok=True)
            subprocess.run(
                [chromium, *flags, f"--screenshot={shot}", "--window-size=1280,2400", url],
                capture_output=True,
                timeout=90,
                check=True,
            )
        return dom
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.browser
def test_comparison_page_in_headless_chromium(store_path: Path, tmp_path: Path) -> None:
    shot = ARTIFACTS / "compare-cq-vs-national.png"
    cq = _doc_id(store_path, "教育强市推进教育现代化规划")
    dom = _in_chromium(store_path, f"/documents/{cq}/compare", tmp_path, shot)
    assert "政策对照" in dom
    assert 'data-status="same"' in dom or 'data-status="changed"' in dom
    assert 'data-status="new"' in dom, "local additions are marked 新增"
    assert "红岩" in dom
    assert shot.stat().st_size > 10_000


@pytest.mark.browser
def test_version_diff_page_is_a_revision_table_in_headless_chromium(
    store_path: Path, tmp_path: Path
) -> None:
    """The demo's second edition of the Chongqing plan: one target raised, one item added."""
    with Store.open(store_path) as store:
        revised = next(d for d in store.documents(limit=1000) if len(store.versions(d.id)) > 1)
        v1, v2 = store.versions(revised.id)[:2]
    shot = ARTIFACTS / "version-diff-revision-table.png"
    dom = _in_chromium(store_path, f"/diff/{v1.id}/{v2.id}", tmp_path, shot)
    assert "共 56 节：修改 2 节、未变 54 节。" in dom
    assert "<th" in dom and "原条文" in dom and "新条文" in dom
    assert dom.count('data-kind="修改"') == 2 and 'data-kind="未变"' not in dom
    assert "80% → 90%" in dom
    assert "<del" in dom and "<ins" in dom
    assert shot.stat().st_size > 10_000
    everything = _in_chromium(store_path, f"/diff/{v1.id}/{v2.id}?all=1", tmp_path)
    assert everything.count('data-kind="未变"') == 54 + 1  # the sections and the 前言


def test_version_diff_downloads_as_word(client: TestClient, store_path: Path) -> None:
    from docx import Document

    with Store.open(store_path) as store:
        revised = next(d for d in store.documents(limit=1000) if len(store.versions(d.id)) > 1)
        v1, v2 = store.versions(revised.id)[:2]
    response = client.get(f"/diff/{v1.id}/{v2.id}", params={"format": "docx"})
    assert response.status_code == 200 and "wordprocessingml" in response.headers["content-type"]
    grid = Document(io.BytesIO(response.content)).tables[0]
    assert [c.text for c in grid.rows[0].cells] == ["原条文", "新条文", "变化"]
    assert any("80% → 90%" in row.cells[2].text for row in grid.rows)


def test_one_label_per_severity_on_the_page_in_the_feed_and_in_the_cli(tmp_path: Path) -> None:
    """`notice` was 通知 on the web and 提示 in the feed; every surface now reads labels.py."""
    from click.testing import CliRunner

    from watcher.cli import main
    from watcher.labels import SEVERITY_LABEL
    from watcher.models import Alert

    db = tmp_path / "w.db"
    with Store.open(db) as store:
        store.add_alert(
            Alert(
                kind="new_document",
                dedupe_key="n",
                severity="notice",
                title="新文件：关于职业院校的通知",
                body="正文",
            )
        )
    page = TestClient(create_app(db)).get("/").text
    feed = TestClient(create_app(db)).get("/feed.atom").text
    cli = (
        CliRunner()
        .invoke(main, ["--store", str(db), "--config", str(tmp_path / "none.yaml"), "alerts"])
        .output
    )
    word = SEVERITY_LABEL["notice"]
    assert word == "提示"
    assert f"<td>{word}</td>" in page and f"[{word}] 新文件" in feed and f"[{word}]" in cli
    assert "<td>通知</td>" not in page


def test_this_weeks_directions_are_looked_up_in_the_configured_zone(tmp_path: Path) -> None:
    """Monday 02:30 in Chongqing is still Sunday in UTC: the page must show the directions
    stored under the Chongqing week, not last week's."""
    from datetime import UTC, datetime

    from watcher.models import Direction

    db = tmp_path / "w.db"
    with Store.open(db) as store:
        store.save_directions("2026-W47", [Direction("上周方向研究", ("上周方向",), 1.0, ())])
        store.save_directions("2026-W48", [Direction("本周方向研究", ("本周方向",), 1.0, ())])
    monday_early = datetime(2026, 11, 22, 18, 30, tzinfo=UTC)
    page = TestClient(create_app(db, timezone="Asia/Shanghai", clock=lambda: monday_early)).get("/")
    assert "本周方向研究" in page.text and "上周方向研究" not in page.text
