"""The real watch list validates, covers every watched site, and config errors point at the mistake."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from watcher.config import load_config
from watcher.demo.server import demo_config
from watcher.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent
SOURCES = REPO / "sources.yaml"
SHIPPED = REPO / "watcher" / "demo" / "sources.yaml"

HOSTS = {
    "www.gov.cn",
    "www.moe.gov.cn",
    "www.cq.gov.cn",
    "jw.cq.gov.cn",
    "www.cqyz.gov.cn",
    "www.hc.gov.cn",
    "news.eol.cn",
}


def test_real_watch_list_validates_and_covers_every_site() -> None:
    cfg = load_config(SOURCES)
    assert {s.level for s in cfg.sources} == {
        "national",
        "ministry",
        "municipal",
        "district",
        "media",
    }
    hosts = {h for s in cfg.sources for h in s.hosts}
    assert hosts >= HOSTS
    for s in cfg.sources:
        assert s.lists, s.id
        for spec in s.lists:
            assert spec.url.startswith("https://"), spec.url
        assert s.detail.body, f"{s.id} has no body selector"
    assert cfg.settings.digest.name == "高等职业教育动态"
    assert cfg.settings.digest.publisher == "高等职业教育研究所"
    assert len(cfg.topics) >= 8
    assert any("双高计划" in t.keywords for t in cfg.topics)
    assert any(p.parent.startswith("教育强国建设规划纲要") for p in cfg.pairs)


def test_watch_list_holds_no_secrets_or_channels() -> None:
    cfg = load_config(SOURCES)
    assert cfg.settings.notify.urls == ()
    assert cfg.notify_urls({}) == ()
    text = SOURCES.read_text(encoding="utf-8")
    # Only ${VAR} placeholders in comments; never a literal key.
    assert not re.search(r"key=[0-9a-f-]{16,}", text)


def test_shipped_copy_matches_the_repository_file() -> None:
    """The demo (and an installed package) reads watcher/demo/sources.yaml; it must not drift."""
    assert SHIPPED.read_text(encoding="utf-8") == SOURCES.read_text(encoding="utf-8")


def test_demo_config_points_every_list_at_the_demo_server() -> None:
    cfg = demo_config("http://127.0.0.1:9")
    real = load_config(SOURCES)
    assert [s.id for s in cfg.sources] == [s.id for s in real.sources]
    for demo_src, real_src in zip(cfg.sources, real.sources, strict=True):
        assert demo_src.allow_private and demo_src.hosts == ("127.0.0.1",)
        assert demo_src.interval_minutes <= 1
        for d, r in zip(demo_src.lists, real_src.lists, strict=True):
            host_and_path = r.url.split("://", 1)[1]
            assert d.url == f"http://127.0.0.1:9/{host_and_path}"
            assert (d.item, d.json_path, d.link_pattern) == (r.item, r.json_path, r.link_pattern)


def _mutate(data: dict[str, Any], case: str) -> None:
    src = data["sources"][1]  # moe
    if case == "unknown key":
        src["lists"][0]["itme"] = "#list li a"
    elif case == "bad url":
        src["lists"][0]["url"] = "ftp://www.moe.gov.cn/s78/"
    elif case == "missing selector":
        del src["lists"][0]["item"]
    elif case == "bad level":
        src["level"] = "provincial"


@pytest.mark.parametrize(
    ("case", "key_words"),
    [
        ("unknown key", ["itme", "未知的键"]),
        ("bad url", ["url", "ftp://"]),
        ("missing selector", ["item"]),
        ("bad level", ["level"]),
    ],
)
def test_config_error_names_file_source_and_key(
    tmp_path: Path, case: str, key_words: list[str]
) -> None:
    data = copy.deepcopy(yaml.safe_load(SOURCES.read_text(encoding="utf-8")))
    _mutate(data, case)
    broken = tmp_path / "broken-sources.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(broken)
    message = str(info.value)
    problems = [ln for ln in message.splitlines()[1:] if ln.strip()]
    assert len(problems) == 1, message  # one mistake, one line
    assert str(broken) in problems[0]
    assert re.search(rf"{re.escape(str(broken))}:\d+:", problems[0]), "line number missing"
    assert "来源 moe" in problems[0]
    for word in key_words:
        assert word in problems[0], message


def test_missing_file_says_how_to_point_at_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--config"):
        load_config(tmp_path / "nope.yaml")
