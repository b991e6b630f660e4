"""Configuration mistakes a Chinese user can act on: YAML syntax and validation errors in Chinese
with the file, line and key and a hint; levels in Chinese or English; CSS selectors compiled
when the file is read, so a typo never reaches a cycle as a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from watcher.cli import main
from watcher.config import load_config
from watcher.errors import ConfigError

_ENGLISH = re.compile(r"[A-Za-z]{4,} [a-z]{2,} [a-z]{2,}")  # a phrase of English words

SOURCE = """\
settings:
  timezone: Asia/Shanghai
sources:
  - id: cq-jw
    name: 重庆市教育委员会
    level: {level}
    interval_minutes: {interval}
    lists:
      - url: "https://jw.cq.gov.cn/zwgk/"
        item: "{item}"
    detail:
      body: "{body}"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _source(**over: str) -> str:
    values = {"level": "municipal", "interval": "180", "item": "ul.list li a", "body": "div.zwxl"}
    values.update(over)
    return SOURCE.format(**values)


def _error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return str(info.value)


@pytest.mark.parametrize(
    ("text", "line", "hint", "key"),
    [
        ("sources:\n  - id: a\n    name: 市教委: 通知\n", 3, "冒号", "name"),
        ("sources:\n  - id: a\n\tname: x\n", 3, "Tab", "name"),
        ('sources:\n  - id: a\n    name: "未闭合\n', 4, "引号", None),
    ],
    ids=["colon-in-value", "tab", "open-quote"],
)
def test_yaml_syntax_error_is_chinese_with_file_line_and_hint(
    tmp_path: Path, text: str, line: int, hint: str, key: str | None
) -> None:
    path = _write(tmp_path, text)
    message = _error(path)
    assert f"{path}:{line}:" in message, message
    assert key is None or f"键 {key}" in message, message
    assert "YAML 语法错误" in message and hint in message, message
    assert not _ENGLISH.search(message), message
    assert "unicode string" not in message


def test_type_error_is_chinese_names_source_key_line_and_hint(tmp_path: Path) -> None:
    path = _write(tmp_path, _source(interval="每三小时"))
    message = _error(path)
    problems = [ln for ln in message.splitlines()[1:] if ln.strip()]
    assert len(problems) == 1, message
    assert f"{path}:7:" in problems[0]
    assert "来源 cq-jw" in problems[0] and "interval_minutes" in problems[0]
    assert "应为数字" in problems[0] and "每三小时" in problems[0] and "180" in problems[0]
    assert "Input should" not in message and not _ENGLISH.search(message), message


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("市级", "municipal"),
        ("municipal", "municipal"),
        ("区县", "district"),
        ("部委", "ministry"),
        ("国家", "national"),
        ("媒体", "media"),
        ("District", "district"),
    ],
)
def test_level_is_accepted_in_chinese_and_english(tmp_path: Path, written: str, code: str) -> None:
    cfg = load_config(_write(tmp_path, _source(level=written)))
    assert cfg.sources[0].level == code


def test_unknown_level_lists_the_choices_in_both_languages(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, _source(level="省部级")))
    assert "省部级" in message and "市级/municipal" in message and "区县/district" in message
    assert " or " not in message


@pytest.mark.parametrize(
    ("over", "key", "line"),
    [
        ({"item": "ul.list li a["}, "sources.0.lists.0.item", 10),
        ({"body": "div::before"}, "sources.0.detail.body", 12),
        ({"body": "div.zwxl >> p"}, "sources.0.detail.body", 12),
    ],
)
def test_invalid_selector_is_rejected_naming_source_key_and_line(
    tmp_path: Path, over: dict[str, str], key: str, line: int
) -> None:
    path = _write(tmp_path, _source(**over))
    message = _error(path)
    assert f"{path}:{line}:" in message, message
    assert "来源 cq-jw" in message and key in message and "CSS 选择器" in message, message


def test_check_with_a_bad_selector_fails_cleanly_without_a_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, _source(item="li a[href"))
    result = CliRunner().invoke(
        main, ["--config", str(path), "--store", str(tmp_path / "w.db"), "check"]
    )
    assert result.exit_code == 2, result.output
    assert "CSS 选择器" in result.output and "sources.yaml:10" in result.output
    assert "Traceback" not in result.output and "内部错误" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_import_level_accepts_chinese_and_refuses_unknown_in_chinese(tmp_path: Path) -> None:
    doc = tmp_path / "notice.txt"
    doc.write_text("关于开展职业教育活动周的通知\n\n一、总体要求\n做好活动周各项工作。\n", "utf-8")
    db = tmp_path / "w.db"
    args = ["--config", str(tmp_path / "none.yaml"), "--store", str(db), "import", str(doc)]
    ok = CliRunner().invoke(main, [*args, "--level", "市级"])
    assert ok.exit_code == 0, ok.output
    from watcher.store import Store

    with Store.open(db) as store:
        assert [d.level for d in store.documents()] == ["municipal"]
    bad = CliRunner().invoke(main, [*args, "--level", "省部级"])
    assert bad.exit_code != 0 and "市级/municipal" in bad.output
