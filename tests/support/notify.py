"""The configuration and alerts the delivery tests share: a one-source config whose
``settings.notify`` lists the given channel URLs, and numbered new-document alerts."""

from __future__ import annotations

from watcher.config import Config, parse_config
from watcher.models import Alert

__all__ = ["new_alert", "notify_config"]


def notify_config(
    urls: list[str], min_severity: str = "notice", *, notify: str = "", source: str = ""
) -> Config:
    """``notify`` and ``source`` are extra YAML lines for ``settings.notify`` and the source."""
    quoted = "".join(f"\n      - '{u}'" for u in urls) or " []"
    more_notify = "".join(f"\n    {line}" for line in notify.splitlines() if line.strip())
    more_source = "".join(f"\n    {line}" for line in source.splitlines() if line.strip())
    return parse_config(
        f"""
settings:
  notify:
    min_severity: {min_severity}{more_notify}
    urls:{quoted}
sources:
  - id: demo
    name: 演示
    level: municipal{more_source}
    lists:
      - url: http://127.0.0.1/list
        item: a
"""
    )


def new_alert(n: int, severity: str = "notice", body: str = "") -> Alert:
    return Alert(
        kind="new_document",
        dedupe_key=f"doc:{n}",
        severity=severity,
        title=f"新文件 {n}：关于推进职业教育的通知",
        body=body or f"第 {n} 条提醒正文。",
        url=f"http://example.gov.cn/{n}.html",
    )
