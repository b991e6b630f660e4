"""The Atom feed of alerts: valid, escaped XML that a feed reader can parse."""

from __future__ import annotations

from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest
from click.testing import CliRunner

from watcher.cli import main
from watcher.deliver.feed import alerts_atom
from watcher.models import Alert, Evidence
from watcher.store import Store

NS = {"a": "http://www.w3.org/2005/Atom"}


def _alert(n: int, title: str = "", body: str = "正文") -> Alert:
    return Alert(
        kind="new_version",
        dedupe_key=f"k{n}",
        severity="warning",
        title=title or f"文件修改 {n}",
        body=body,
        url=f"http://example.gov.cn/{n}.html?a=1&b=2",
        evidence=(Evidence(title="某规划", section="三/（五）", sentence="新增低空经济<内容>。"),),
    )


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "w.db")
    s.add_alert(
        _alert(1, title="<script>alert('x')</script> & 通知", body="控制字符\x01\x0b不应出现")
    )
    s.add_alert(_alert(2))
    return s


def test_feed_is_valid_atom_with_escaped_content(store: Store) -> None:
    xml = alerts_atom(store, base_url="https://watch.example.org/")
    store.close()
    root = SafeET.fromstring(xml.encode("utf-8"))
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    entries = root.findall("a:entry", NS)
    assert [e.findtext("a:title", namespaces=NS) for e in entries] == [
        "[警告] 文件修改 2",
        "[警告] <script>alert('x')</script> & 通知",
    ]
    assert "<script>" not in xml
    content = entries[1].findtext("a:content", namespaces=NS) or ""
    assert "控制字符不应出现" in content and "新增低空经济<内容>。" in content
    assert entries[0].find("a:link", NS).get("href") == "http://example.gov.cn/2.html?a=1&b=2"
    ids = [e.findtext("a:id", namespaces=NS) for e in entries]
    assert len(set(ids)) == 2 and all(i and i.startswith("urn:policy-watcher:alert:") for i in ids)
    self_link = [ln.get("href") for ln in root.findall("a:link", NS) if ln.get("rel") == "self"]
    assert self_link == ["https://watch.example.org/feed.atom"]
    for required in ("a:id", "a:title", "a:updated", "a:author/a:name"):
        assert root.find(required, NS) is not None


def test_entry_ids_are_stable_across_runs(store: Store) -> None:
    assert alerts_atom(store) == alerts_atom(store)
    store.close()


def test_empty_feed_is_valid(tmp_path: Path) -> None:
    with Store.open(tmp_path / "e.db") as s:
        root = SafeET.fromstring(alerts_atom(s).encode("utf-8"))
    assert root.findall("a:entry", NS) == []
    assert root.findtext("a:updated", namespaces=NS) == "1970-01-01T00:00:00+00:00"


def test_feed_limit(store: Store) -> None:
    root = SafeET.fromstring(alerts_atom(store, limit=1).encode("utf-8"))
    store.close()
    assert len(root.findall("a:entry", NS)) == 1


def test_cli_feed_writes_file(store: Store, tmp_path: Path) -> None:
    store.close()
    out = tmp_path / "out" / "alerts.atom"
    result = CliRunner().invoke(
        main,
        [
            "--store",
            str(tmp_path / "w.db"),
            "--config",
            str(tmp_path / "missing.yaml"),
            "feed",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "已写入" in result.output
    assert len(SafeET.parse(str(out)).getroot().findall("a:entry", NS)) == 2
