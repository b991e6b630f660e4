"""The weekly digest: a week of the store → a draft of the next bulletin (Markdown, HTML, DOCX).

``build_digest`` gathers the week's content (``context``), renders it (``render``, ``word``) and
saves the result in the ``digests`` table; rebuilding a week gives the same bytes.
``queue_digest`` hands the draft to the outbox like every other message: e-mail gets it whole
(HTML with the DOCX attached), chat channels a short notice, once per week.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from watcher.config import Config, DigestSettings
from watcher.deliver.alerts import alert_digest
from watcher.deliver.digest.context import DigestContext, DigestStore, digest_context, issue_numbers
from watcher.deliver.digest.render import render_html, render_markdown
from watcher.deliver.digest.word import render_docx
from watcher.deliver.outbox import channels_for_alert
from watcher.models import Direction
from watcher.periods import DEFAULT_TZ, normalize_week

__all__ = [
    "Digest",
    "DigestContext",
    "build_digest",
    "digest_context",
    "issue_numbers",
    "queue_digest",
    "render_html",
    "render_markdown",
]


@dataclass(frozen=True)
class Digest:
    week: str
    issue: int
    total: int
    date: str
    markdown: str
    html: str
    docx: bytes = field(repr=False)
    name: str = ""
    titles: tuple[str, ...] = ()  # lead documents, for the short chat notice


def build_digest(
    store: DigestStore,
    week: str,
    settings: DigestSettings,
    *,
    directions: Sequence[Direction] | None = None,
    tz: str = DEFAULT_TZ,
    save: bool = True,
) -> Digest:
    """Build (and store) the bulletin draft for ISO ``week``; the same week gives the same draft."""
    ctx = digest_context(store, normalize_week(week), settings, directions=directions, tz=tz)
    digest = Digest(
        week=ctx.week,
        issue=ctx.issue,
        total=ctx.total,
        date=ctx.date,
        markdown=render_markdown(ctx),
        html=render_html(ctx),
        docx=render_docx(ctx),
        name=ctx.name,
        titles=tuple(d.title for d in ctx.docs),
    )
    if save:
        store.save_digest(
            week=digest.week,
            issue=digest.issue,
            total=digest.total,
            markdown=digest.markdown,
            html=digest.html,
            docx=digest.docx,
        )
    return digest


def queue_digest(
    store: Any, config: Config, digest: Digest, environ: Mapping[str, str] | None = None
) -> bool:
    """Put the draft in the outbox for every configured channel, once per week; False when it
    was queued before (or no channel is configured). The delivery worker sends it."""
    title = f"{digest.name or '周报'} 第{digest.issue}期·总第{digest.total}期 草稿（{digest.week}）"
    alert = alert_digest(digest.week, title, digest.titles)
    channels = channels_for_alert(config, alert, environ)
    if not channels or store.add_alert(alert, channels) is None:
        return False
    store.mark_digest_mailed(digest.week)
    return True
