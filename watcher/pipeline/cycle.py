"""One cycle over the sources: discover → fetch → extract, then each document through
``document.ingest_document`` (normalise → structure → store → diff, lineage, comparison, alerts).

With ``document`` the only place that calls the stages in order. Each source runs on its own: a dead site, a
WAF page or a broken document is logged in the fetch log, counted toward that source's health
and never stops the other sources. Everything one document causes (its version, the change,
lineage links, the comparison and the alerts with their pending deliveries) is written in one
transaction, so a crash leaves all of it or none of it.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from watcher.config import Config, ListSpec, Source
from watcher.deliver import alerts as alert_rules
from watcher.errors import (
    ExtractError,
    FetchError,
    LayoutChangedError,
    StoreError,
    WatcherError,
)
from watcher.ingest import attachments, discover, guards, sandbox
from watcher.ingest.extract import extract
from watcher.ingest.fetch import Fetcher
from watcher.locks import store_lock
from watcher.models import Alert, Attachment, FetchAttempt, Fetched, Link
from watcher.pipeline.document import DocumentInput, IngestRules, ingest_document, raise_alert
from watcher.pipeline.ranking import refresh_directions
from watcher.records import VersionResult
from watcher.store import Store
from watcher.text import identity
from watcher.text.clip import shorten

__all__ = ["CycleReport", "Pipeline", "SourceOutcome", "cycle_lock"]

log = logging.getLogger("watcher.pipeline")

#: The source whose task is running; each source runs in its own asyncio task, so fetch
#: attempts reported through the shared Fetcher's callback are attributed to the right source.
_CURRENT_SOURCE: contextvars.ContextVar[str | None] = contextvars.ContextVar("source", default=None)

#: attachment types whose text we extract and store as documents of their own
_TEXT_ATTACHMENTS = frozenset({"pdf", "docx", "ofd", "txt"})
_INHERITED_META = frozenset({"issuer", "written_date", "published_date", "topic"})


@dataclass
class SourceOutcome:
    source_id: str
    name: str
    new_documents: int = 0
    new_versions: int = 0
    unchanged: int = 0
    failed: int = 0
    alerts: int = 0
    status: Literal["ok", "partial", "failed"] = "ok"
    error: str | None = None
    seconds: float = 0.0
    #: pages that answered but whose selectors found nothing: a probable site redesign
    layout: list[LayoutChangedError] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """A run counts as a success for the source's health: not failed, no redesign seen."""
        return self.status != "failed" and not self.layout

    def count(self, status: str, alerts: int) -> None:
        """Count one stored document's verdict and the alerts it raised."""
        self.alerts += alerts
        if status == "new_document":
            self.new_documents += 1
        elif status == "new_version":
            self.new_versions += 1
        else:
            self.unchanged += 1


@dataclass
class CycleReport:
    outcomes: list[SourceOutcome] = field(default_factory=list)
    seconds: float = 0.0

    def total(self, name: str) -> int:
        return sum(int(getattr(o, name)) for o in self.outcomes)


def cycle_lock(store_path: Path) -> AbstractContextManager[None]:
    """One cycle per store at a time: a second ``watcher check`` is refused, not interleaved.
    The daemon holds it for its whole life, so a second daemon or a ``check`` beside it is
    refused too."""
    return store_lock(
        store_path,
        "cycle",
        f"另一个 watcher 进程（守护进程 watcher run 或 watcher check）正在使用 {store_path}。"
        "一个数据库同时只能有一个守护进程；守护进程运行时它会按计划抓取，无需 watcher check。"
        "请等它结束或先停止守护进程后再试。",
    )


class Pipeline:
    """Runs cycles of ``config``'s sources against ``store``."""

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        progress: Callable[[str, SourceOutcome], None] | None = None,
        stop: threading.Event | None = None,
        rank: bool = True,
    ) -> None:
        self.config = config
        # Rank research directions once at the end of a cycle that stored something; the
        # daemon's per-source cycles leave that to its own debounced ranking job.
        self.rank = rank
        self.store = store
        self.rules = IngestRules.from_config(config)
        budget = config.settings.extract
        self.budget = sandbox.Budget(
            cpu_seconds=budget.cpu_seconds,
            memory_bytes=budget.memory_mb * 1024 * 1024,
            max_pages=budget.max_pages,
        )
        self.progress = progress
        # Set by the daemon on shutdown: the cycle stops between documents, each of which is
        # written atomically, so abandoning the rest leaves a consistent store.
        self.stop = stop or threading.Event()
        # Per source: is this its first successful run? (sources run concurrently)
        self._baseline: dict[str, bool] = {}
        # Per source: its pages' usual text lengths, read once per run (redesign detection)
        self._history: dict[str, list[int]] = {}

    # ------------------------------------------------------------------ cycle

    async def run_cycle(self, source_ids: Sequence[str] | None = None) -> CycleReport:
        started = time.monotonic()
        sources = (
            [self.config.source(s) for s in source_ids]
            if source_ids
            else [s for s in self.config.sources if s.enabled]
        )
        self.store.sync_sources(self.config.sources)
        report = CycleReport()
        async with Fetcher(self.config.settings.fetch, on_attempt=self._log_attempt) as fetcher:
            outcomes = await asyncio.gather(*(self._run_guarded(fetcher, s) for s in sources))
        report.outcomes = list(outcomes)
        if self.rank and (report.total("new_documents") or report.total("new_versions")):
            try:
                refresh_directions(self.store, self.config, self.rules)
            except StoreError:
                raise  # the store is failing: the caller pauses, a traceback says nothing more
            except WatcherError:
                log.exception("research directions could not be refreshed")
        report.seconds = time.monotonic() - started
        return report

    async def _run_guarded(self, fetcher: Fetcher, source: Source) -> SourceOutcome:
        outcome = SourceOutcome(source.id, source.name)
        started = time.monotonic()
        _CURRENT_SOURCE.set(source.id)
        try:
            await self._run_source(fetcher, source, outcome)
        except WatcherError as exc:
            outcome.status, outcome.error = "failed", str(exc)
        except Exception as exc:  # a bug in one source's handling must not stop the others
            log.exception("source %s crashed", source.id)
            outcome.status, outcome.error = "failed", f"内部错误: {type(exc).__name__}: {exc}"
        outcome.seconds = time.monotonic() - started
        self._finish_source(source, outcome)
        if self.progress:
            self.progress(source.id, outcome)
        return outcome

    def _log_attempt(self, attempt: FetchAttempt) -> None:
        try:
            source_id = (
                attempt.source_id or _CURRENT_SOURCE.get() or _source_of(self.config, attempt.url)
            )
            self.store.log_fetch(source_id, attempt)
        except StoreError as exc:
            log.error("could not log a fetch attempt: %s", exc)

    async def _run_source(self, fetcher: Fetcher, source: Source, outcome: SourceOutcome) -> None:
        row = self.store.source_row(source.id)
        self._baseline[source.id] = row is not None and row.last_ok_at is None
        self._history[source.id] = self.store.recent_text_lengths(source.id)
        links, list_errors, list_ok = await self._discover(fetcher, source, outcome)
        if not list_ok:
            outcome.status = "failed"
            outcome.error = list_errors[0] if list_errors else "没有可用的列表页"
            return
        if list_errors:
            outcome.status, outcome.error = "partial", list_errors[0]
        for link in self._work_list(source, links):
            if self.stop.is_set():
                outcome.status, outcome.error = "partial", "已中断（进程正在退出）"
                return
            try:
                result = await self._fetch_document(fetcher, source, link)
            except (FetchError, ExtractError) as exc:
                self._count_failure(link, exc, outcome)
                continue
            for status, n_alerts in result:
                outcome.count(status, n_alerts)
        if outcome.failed and not (
            outcome.new_documents or outcome.new_versions or outcome.unchanged
        ):
            outcome.status = "failed"  # every document failed: the site is not really working

    def _work_list(self, source: Source, links: Sequence[Link]) -> list[Link]:
        """New links first, then known documents to re-check with conditional GETs (mostly
        304): those on the list pages we read, then the source's least recently seen ones, up
        to a per-run budget."""
        new = discover.take_new(
            links,
            self.store.known_url,
            stop_after_known=len(links) + 1,
            limit=source.max_new_per_run,
        )
        new_urls = {link.url for link in new}
        recheck = [link for link in links if link.url not in new_urls]
        seen = new_urls | {link.url for link in recheck}
        for url in self.store.stale_urls(source.id, limit=source.recheck_per_run):
            if url not in seen and len(recheck) < source.recheck_per_run:
                recheck.append(Link(url=url))
                seen.add(url)
        return [*new, *recheck]

    def _count_failure(self, link: Link, exc: WatcherError, outcome: SourceOutcome) -> None:
        if isinstance(exc, ExtractError):  # fetch errors are logged by the fetcher
            self._log_extract_failure(link.url, exc)
        outcome.failed += 1
        outcome.status = "partial"
        if isinstance(exc, LayoutChangedError):
            outcome.layout.append(exc)
            outcome.error = str(outcome.layout[0])  # the redesign is what to report
        outcome.error = outcome.error or str(exc)

    def _log_extract_failure(self, url: str, exc: ExtractError) -> None:
        kind = "layout_changed" if isinstance(exc, LayoutChangedError) else "extract_error"
        self._log_attempt(
            FetchAttempt(
                url=url, status=None, bytes=0, duration_ms=0.0, error=str(exc), outcome=kind
            )
        )

    async def _discover(
        self, fetcher: Fetcher, source: Source, outcome: SourceOutcome
    ) -> tuple[list[Link], list[str], bool]:
        links: list[Link] = []
        errors: list[str] = []
        any_ok = False
        for spec in source.lists:
            for page_no, page_url in enumerate(discover.list_page_urls(spec)):
                try:
                    found = await self._list_links(fetcher, source, spec, page_url)
                except FetchError as exc:
                    errors.append(str(exc))
                    break
                if not found and page_no == 0:
                    # A list page always lists something: nothing found means the selectors
                    # no longer fit the page, which must not pass as "no new documents".
                    problem = LayoutChangedError(page_url, _list_selector(spec), "没有找到任何链接")
                    self._log_extract_failure(page_url, problem)
                    outcome.layout.append(problem)
                    errors.insert(0, str(problem))
                    break
                any_ok = True
                fresh = [link for link in found if not self.store.known_url(link.url)]
                links.extend(found)
                if len(fresh) < len(found):
                    break  # this page reaches documents we know: older pages hold nothing new
        unique = list({link.url: link for link in links}.values())
        return unique, errors, any_ok

    async def _list_links(
        self, fetcher: Fetcher, source: Source, spec: ListSpec, page_url: str
    ) -> list[Link]:
        """The links on one list page, fetched conditionally: an unchanged page answers 304
        and its links are the ones stored from its last full fetch."""
        known = self.store.list_page(page_url)
        fetched = await fetcher.fetch(
            page_url,
            source=source,
            etag=known.etag if known else None,
            last_modified=known.last_modified if known else None,
        )
        if fetched.not_modified:
            return list(known.links) if known else []
        found = discover.find_links(spec, fetched.text or "", fetched.final_url)
        self.store.save_list_page(page_url, fetched.etag, fetched.last_modified, found)
        return found

    async def _fetch_document(
        self, fetcher: Fetcher, source: Source, link: Link
    ) -> list[tuple[str, int]]:
        etag, last_modified = self.store.validators(link.url)
        fetched = await fetcher.fetch(
            link.url, source=source, etag=etag, last_modified=last_modified
        )
        if fetched.not_modified:
            self.store.touch(link.url)
            return [("unchanged", 0)]
        doc_input, consumed = await self._document_from_fetch(fetcher, source, link, fetched)
        results = [self._ingest(source, doc_input)]
        page_id = results[0][0].document_id
        for att in doc_input.attachments:
            if att.ext not in _TEXT_ATTACHMENTS or att.url in {doc_input.url, consumed}:
                continue  # the page's own text already came from (or failed on) this one
            try:
                att_input = await self._attachment_document(fetcher, source, att, doc_input.meta)
            except (FetchError, ExtractError) as exc:
                log.warning("attachment %s skipped: %s", att.url, exc)
                continue
            if att_input is not None:
                results.append(self._ingest(source, att_input, attachment_of=page_id))
        return [(r.status, n) for r, n in results]

    def _ingest(
        self, source: Source, doc: DocumentInput, attachment_of: int | None = None
    ) -> tuple[VersionResult, int]:
        return ingest_document(
            self.store,
            self.rules,
            doc,
            level=source.level,
            source_id=source.id,
            source_name=source.name,
            baseline=self._baseline.get(source.id, False),
            attachment_of=attachment_of,
        )

    async def _extract(self, data: bytes, ext: str, name: str) -> attachments.AttachmentText:
        """An attachment's text from its worker process (off the event loop, within budget)."""
        extracted = await sandbox.extract_off_loop(data, ext, name=name, budget=self.budget)
        if extracted.supported and extracted.reason:
            log.warning("%s: %s", name or ext, extracted.reason)
        return extracted

    async def _document_from_fetch(
        self, fetcher: Fetcher, source: Source, link: Link, fetched: Fetched
    ) -> tuple[DocumentInput, str | None]:
        """The page's document, and the attachment whose text became its body (if any)."""
        if fetched.text is None:  # the link itself is a PDF/DOCX
            ext = _ext_of(fetched.final_url, fetched.content_type)
            extracted = await self._extract(fetched.content, ext, link.title)
            if not extracted.supported:
                raise ExtractError(extracted.reason or f"不支持的文件类型 .{ext}")
            return DocumentInput(
                url=link.url,
                title=link.title or Path(fetched.final_url).name,
                text=extracted.text,
                meta=dict(link.meta),
                raw=fetched.content,
                content_type=fetched.content_type,
                etag=fetched.etag,
                last_modified=fetched.last_modified,
                origin="attachment",
            ), None
        article = extract(fetched.text, fetched.final_url, rules=source.detail)
        reason = guards.error_page_reason(article.title, article.text)
        if reason is not None:
            # Never a version: the document is still whatever we stored last time.
            raise ExtractError(f"{link.url} 返回的是{reason}，不是文件内容；已跳过，下一轮重试。")
        text = article.text
        title = article.title or link.title
        consumed = None
        if article.attachments and attachments.body_is_only_attachment(text, article.attachments):
            main = next((a for a in article.attachments if a.ext in _TEXT_ATTACHMENTS), None)
            if main is not None:
                consumed = main.url
                text = await self._main_attachment_text(fetcher, source, main, text)
        shrunk = guards.shrunken_text_reason(
            text,
            previous=self.store.text_length(identity.canonical_url(link.url)),
            history=self._history.get(source.id, ()),
            has_attachments=bool(article.attachments),
        )
        if shrunk is not None:
            # Never a version: a redesign must not overwrite the document with page furniture.
            selector = source.detail.body or f"内置模板 {article.method or '通用提取'}"
            raise LayoutChangedError(link.url, selector, f"提取异常：{shrunk}")
        meta = dict(article.meta)
        if link.date and "published_date" not in meta:
            meta["published_date"] = link.date
        return DocumentInput(
            url=link.url,
            title=title,
            text=text,
            meta=meta,
            attachments=article.attachments,
            raw=fetched.content,
            content_type=fetched.content_type,
            encoding=fetched.encoding,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
        ), consumed

    async def _main_attachment_text(
        self, fetcher: Fetcher, source: Source, main: Attachment, body: str
    ) -> str:
        """The text of the attachment a page's body only points to; the body itself (with the
        link kept in the page's attachments) when that attachment is refused or unreadable."""
        try:
            att = await fetcher.fetch(main.url, source=source)
            extracted = await self._extract(att.content, main.ext, main.name)
        except (FetchError, ExtractError) as exc:
            log.warning("main attachment %s not read, keeping the page: %s", main.url, exc)
            return body
        return extracted.text if extracted.supported and extracted.text.strip() else body

    async def _attachment_document(
        self, fetcher: Fetcher, source: Source, att: Attachment, page_meta: dict[str, str]
    ) -> DocumentInput | None:
        fetched = await fetcher.fetch(att.url, source=source)
        extracted = await self._extract(fetched.content, att.ext, att.name)
        if not extracted.supported or not extracted.text.strip():
            return None
        return DocumentInput(
            url=att.url,
            title=_attachment_title(att.name, extracted.text),
            text=extracted.text,
            # An attachment is published with its page: it shares the page's dates and issuer.
            meta={k: v for k, v in page_meta.items() if k in _INHERITED_META},
            raw=fetched.content,
            content_type=fetched.content_type,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            origin="attachment",
        )

    def _finish_source(self, source: Source, outcome: SourceOutcome) -> None:
        ok = outcome.healthy
        if ok and self._baseline.get(source.id) and outcome.new_documents:
            alert = _baseline_alert(source, outcome.new_documents)
            if raise_alert(self.store, self.rules.channels, alert):
                outcome.alerts += 1
        failures = self.store.record_source_run(
            source.id, ok=ok, outcome=outcome.status, error=outcome.error
        )
        prefix = alert_rules.health_key_prefix(source.id)
        if ok and self.store.resolve_alerts(prefix):
            alert = alert_rules.alert_source_recovered(
                source.id, source.name, episode=self.store.now()
            )
            if raise_alert(self.store, self.rules.channels, alert):
                outcome.alerts += 1
        if outcome.layout:
            # A redesign is reported at once (the run did reach the site), once per streak.
            row = self.store.source_row(source.id)
            alert = alert_rules.alert_layout_changed(
                source.id,
                source.name,
                [(p.url, p.selector, p.reason) for p in outcome.layout],
                episode=(row.last_ok_at if row else None) or "never",
            )
            if raise_alert(self.store, self.rules.channels, alert):
                outcome.alerts += 1
        elif not ok and failures >= self.config.settings.health_failures:
            # One alert per failure streak: the streak is named by the last success before it,
            # so a threshold lowered by a reload still alerts, and later failed runs do not repeat.
            row = self.store.source_row(source.id)
            episode = (row.last_ok_at if row else None) or "never"
            alert = alert_rules.alert_source_health(
                source.id, source.name, failures, outcome.error or "", episode=episode
            )
            if raise_alert(self.store, self.rules.channels, alert):
                outcome.alerts += 1


def _baseline_alert(source: Source, documents: int) -> Alert:
    return Alert(
        kind="new_document",
        dedupe_key=f"baseline:{source.id}",
        severity="info",
        title=f"开始监测：{source.name}",
        body=f"已对「{source.name}」建立基线，现有 {documents} 个文档已入库（不逐条告警）。"
        "此后该来源的新文档、新版本和关注主题都会即时告警。",
        source_id=source.id,
    )


def _source_of(config: Config, url: str) -> str | None:
    """The first source allowed to fetch ``url``'s host (attempts without a source id)."""
    host = urlsplit(url).hostname or ""
    return next((s.id for s in config.sources if host in s.hosts), None)


def _list_selector(spec: ListSpec) -> str:
    """The configured part of a list spec that finds its links, as the user wrote it."""
    if spec.type in ("json", "jsonp"):
        return f"json_path: {spec.json_path}"
    if spec.type == "inline_json":
        return f"inline_key: {spec.inline_key}"
    parts = [f"row: {spec.row}"] if spec.row else []
    parts.append(f"item: {spec.item}")
    if spec.link_pattern:
        parts.append(f"link_pattern: {spec.link_pattern}")
    return "，".join(parts)


def _ext_of(url: str, content_type: str) -> str:
    suffix = Path(url.split("?")[0]).suffix.lower().lstrip(".")
    if suffix:
        return suffix
    return {
        "application/pdf": "pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    }.get(content_type, "bin")


def _attachment_title(name: str, text: str) -> str:
    """The attachment's link text without 「附件1：」, a leading 发文字号 (「渝中府办〔2024〕13号
    重庆市…」 names the notice, the number is metadata) or the file suffix; else its first line."""
    clean = name.strip()
    for prefix in ("附件", "下载"):
        if clean.startswith(prefix):
            clean = clean[len(prefix) :].lstrip("0123456789：:. 、")
    clean = clean.rsplit(".", 1)[0] if "." in clean else clean
    clean = identity.strip_leading_doc_number(clean)
    return clean or shorten((text.strip().splitlines() or ["附件"])[0], 60)
