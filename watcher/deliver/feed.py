"""Alerts as an Atom 1.0 feed, for feed readers and anything that polls instead of being pushed.

Takes the newest alerts from the store and returns the feed document as a string. Built with
ElementTree, so every title, body and URL is escaped; characters XML 1.0 forbids (stray control
bytes from scraped pages) are dropped. Entry ids are derived from the alert's dedupe key, so they
never change between runs.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any, Protocol

from watcher.labels import SEVERITY_LABEL

__all__ = ["alerts_atom"]

ATOM = "http://www.w3.org/2005/Atom"
FEED_TITLE = "policy-watcher 政策提醒"
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = "1970-01-01T00:00:00+00:00"


class _AlertStore(Protocol):
    def alerts(
        self, *, status: str | None = None, since: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]: ...


def _clean(value: object) -> str:
    return _INVALID_XML.sub("", str(value))


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: _clean(v) for k, v in attrs.items()})
    if text is not None:
        el.text = _clean(text)
    return el


def _entry_content(alert: Mapping[str, Any]) -> str:
    lines = [str(alert.get("body") or "")]
    for e in alert.get("evidence") or []:
        where = f"《{e.get('title', '')}》{e.get('section', '')}".strip()
        lines.append(f"依据：{where}：{e.get('sentence', '')}")
    if alert.get("url"):
        lines.append(f"链接：{alert['url']}")
    return "\n".join(lines)


def alerts_atom(store: _AlertStore, *, base_url: str | None = None, limit: int = 100) -> str:
    """The newest ``limit`` alerts as an Atom 1.0 document (UTF-8 XML string)."""
    ET.register_namespace("", ATOM)
    alerts = store.alerts(limit=limit)
    root = ET.Element(f"{{{ATOM}}}feed")
    root.set("{http://www.w3.org/XML/1998/namespace}lang", "zh-CN")
    base = base_url.rstrip("/") if base_url else None
    _sub(root, "id", f"{base}/feed.atom" if base else "urn:policy-watcher:alerts")
    _sub(root, "title", FEED_TITLE)
    _sub(root, "updated", max((str(a["created_at"]) for a in alerts), default=_EPOCH))
    author = _sub(root, "author")
    _sub(author, "name", "policy-watcher")
    _sub(root, "generator", "policy-watcher")
    if base:
        _sub(root, "link", rel="self", href=f"{base}/feed.atom")
        _sub(root, "link", rel="alternate", href=f"{base}/")
    for alert in alerts:
        entry = _sub(root, "entry")
        digest = hashlib.sha256(str(alert["dedupe_key"]).encode("utf-8")).hexdigest()[:32]
        _sub(entry, "id", f"urn:policy-watcher:alert:{digest}")
        severity = SEVERITY_LABEL.get(str(alert.get("severity")), "")
        _sub(entry, "title", f"[{severity}] {alert['title']}" if severity else str(alert["title"]))
        _sub(entry, "updated", str(alert["created_at"]))
        _sub(entry, "published", str(alert["created_at"]))
        if alert.get("url"):
            _sub(entry, "link", rel="alternate", href=str(alert["url"]))
        _sub(entry, "category", term=str(alert.get("kind") or "alert"))
        _sub(entry, "summary", str(alert.get("body") or "")[:200], type="text")
        _sub(entry, "content", _entry_content(alert), type="text")
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"
