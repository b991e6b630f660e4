"""Chinese labels of the codes the store and the stages use: one table per code, shown the same
way in the CLI, the web UI, alerts, the feed and the digest.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "CHANGE_KIND_LABEL",
    "COMPARE_STATUS_LABEL",
    "DELIVERY_STATUS_LABEL",
    "LEVEL_ALIASES",
    "LEVEL_LABEL",
    "OUTCOME_LABEL",
    "RELATION_LABEL",
    "SEVERITY_LABEL",
    "level_code",
]

#: Government levels of a source (``models.Level``).
LEVEL_LABEL: Mapping[str, str] = {
    "national": "国家",
    "ministry": "部委",
    "municipal": "市级",
    "district": "区县",
    "media": "媒体",
}
#: What a user may write for a level (in ``sources.yaml`` or ``--level``): the code, its label
#: and the usual variants, each mapped to the code.
LEVEL_ALIASES: Mapping[str, str] = {
    **{code: code for code in LEVEL_LABEL},
    **{label: code for code, label in LEVEL_LABEL.items()},
    "国家级": "national",
    "中央": "national",
    "部级": "ministry",
    "国家部委": "ministry",
    "市": "municipal",
    "区": "district",
    "县": "district",
    "区级": "district",
    "县级": "district",
    "区县级": "district",
    "新闻媒体": "media",
}


def level_code(value: str) -> str | None:
    """The level code (``municipal``) of what a user wrote (``市级``, ``Municipal``), or None."""
    text = value.strip()
    return LEVEL_ALIASES.get(text) or LEVEL_ALIASES.get(text.lower())


#: Alert severities (``models.Severity``), mildest first.
SEVERITY_LABEL: Mapping[str, str] = {
    "info": "信息",
    "notice": "提示",
    "warning": "警告",
    "critical": "严重",
}
#: How a section changed between two versions of one document.
CHANGE_KIND_LABEL: Mapping[str, str] = {"added": "新增", "removed": "删除", "changed": "修改"}
#: How a section of a plan relates to its parent plan.
COMPARE_STATUS_LABEL: Mapping[str, str] = {"same": "延续", "changed": "调整", "new": "新增"}
#: Why one document is linked to another.
RELATION_LABEL: Mapping[str, str] = {
    "implements": "贯彻落实",
    "supersedes": "接续",
    "configured": "配置的上位文件",
}
#: State of one delivery in the outbox.
DELIVERY_STATUS_LABEL: Mapping[str, str] = {
    "pending": "待发送",
    "sending": "发送中",
    "sent": "已发送",
    "dead": "已放弃",
}
#: Outcome of one source in one cycle.
OUTCOME_LABEL: Mapping[str, str] = {"ok": "正常", "partial": "部分失败", "failed": "失败"}
