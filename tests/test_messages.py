"""Messages a Chinese user can act on, through the real CLI: binary input refused, unrelated
documents flagged, a date accepted wherever a week is, and a demo that speaks Chinese (no
English keys, no repeated lines, titles cut between words with their brackets closed)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from tests.conftest import REPO
from watcher.cli import main
from watcher.config import DigestSettings, parse_config
from watcher.store import Store
from watcher.web import create_app

TEXT = REPO / "tests" / "fixtures" / "text"

FOOD_NOTICE = """关于做好2025年夏季食品安全监督抽检工作的通知
各区县市场监管局：
为切实保障夏季食品安全，防范化解食品安全风险，现就做好抽检工作通知如下。
一、明确抽检重点
重点抽检冷饮、熟食、水产品等高风险食品，对农贸市场、餐饮服务单位开展专项检查。
二、规范抽检程序
严格按照抽样规范采样，确保样品真实有效，检验机构应在规定时限内出具检验报告。
三、强化结果处置
对抽检不合格的食品，依法立案查处，及时向社会公布，督促企业落实主体责任。
"""


def _png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\xff\x00\x00" * 2)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + bytes(range(256)) * 4 + b"\xff\xd9"


def _gzip() -> bytes:
    import gzip

    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb") as gz:
        gz.write("<html><body>压缩的网页</body></html>".encode())
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("chart.png", _png(), "PNG 图片"),
        ("photo.jpg", _jpeg(), "JPEG 图片"),
        ("page.gz", _gzip(), "gzip"),
    ],
)
def test_extract_refuses_binary_input_with_a_clear_message(
    tmp_path: Path, name: str, data: bytes, kind: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    result = CliRunner().invoke(main, ["extract", str(path)])
    assert result.exit_code != 0
    assert kind in result.output and "不是网页" in result.output, result.output
    assert "标题:" not in result.output and "\ufffd" not in result.output


def test_extract_still_reads_a_page(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text(
        "<html><head><title>关于开展活动的通知</title></head><body><p>"
        + "现将有关事项通知如下。" * 5
        + "</p></body></html>",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["extract", str(page)])
    assert result.exit_code == 0 and "关于开展活动的通知" in result.output


def test_compare_warns_when_two_documents_share_almost_nothing(tmp_path: Path) -> None:
    food = tmp_path / "food.txt"
    food.write_text(FOOD_NOTICE, encoding="utf-8")
    unrelated = CliRunner().invoke(main, ["compare", str(TEXT / "national_gangyao.txt"), str(food)])
    assert unrelated.exit_code == 0
    assert "几乎没有共同内容" in unrelated.output and "OLD" in unrelated.output
    related = CliRunner().invoke(
        main, ["compare", str(TEXT / "national_gangyao.txt"), str(TEXT / "cq_guihua.txt")]
    )
    assert related.exit_code == 0 and "几乎没有共同内容" not in related.output


def test_a_date_names_its_week_in_the_web_ui_and_in_the_digest_anchor(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    with Store.open(db) as store:
        store.save_digest(
            week="2025-W49", issue=3, total=40, markdown="# 第3期", html="<h1>第3期</h1>", docx=None
        )
    web = TestClient(create_app(db))
    assert web.get("/digests/2025-12-01.md").status_code == 200
    assert "第3期" in web.get("/digests/2025-12-03.md").text
    assert web.get("/digests/not-a-week.md").status_code == 404
    settings = DigestSettings(anchor_week="2026-11-20")
    assert settings.anchor_week == "2026-W47"
    cfg = parse_config(
        "settings:\n  digest: {anchor_week: 2026-11-20}\nsources:\n  - id: a\n    name: A\n"
        "    level: media\n    lists:\n      - {url: 'https://a.cn/', item: 'li a'}\n"
    )
    assert cfg.settings.digest.anchor_week == "2026-W47"


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> str:
    cwd = tmp_path_factory.mktemp("demo")
    proc = subprocess.run(
        [sys.executable, "-m", "watcher", "--store", str(cwd / "demo.db"), "demo"],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_demo_summaries_are_chinese_without_keys_or_repeated_lines(demo_output: str) -> None:
    assert not re.search(r"\b[a-z_]+=\d", demo_output), "English keys like new_sections=45"
    comparisons = [ln for ln in demo_output.splitlines() if ln.startswith("政策对照")]
    assert comparisons and len(comparisons) == len(set(comparisons))
    assert all("延续" in ln and "个部分" in ln for ln in comparisons)


def test_demo_titles_are_cut_between_words_with_brackets_closed(demo_output: str) -> None:
    for inner in re.findall(r"《([^《》]*(?:《[^《》]*》[^《》]*)*)》", demo_output):
        assert inner.count("（") == inner.count("）"), inner  # never 「《…规划（2》」
    alerts_line = next(ln for ln in demo_output.splitlines() if ln.startswith("告警"))
    for item in alerts_line.split("：", 1)[1].rstrip("…").split("；"):
        for opener, closer in (("《", "》"), ("「", "」"), ("（", "）")):
            assert item.count(opener) == item.count(closer), item


def test_demo_lists_attachments_under_their_page(demo_output: str) -> None:
    rows = [ln for ln in demo_output.splitlines() if "│" in ln]
    titles = [cells[3].strip() for ln in rows if len(cells := ln.split("│")) > 4]
    assert any(t.startswith("└附件") for t in titles)
    assert not any(re.match(r"^\S{1,8}〔\d{4}〕\d+号", t) for t in titles), titles
