"""The delivery worker: pending deliveries in the store → channels → sent / retry later / dead.

``store.add_alert`` writes each alert with one pending delivery per channel in the same
transaction as the change that caused it (the transactional outbox). ``deliver_pending`` claims
the deliveries that are due, marks each ``sending`` just before it is sent and ``sent`` right
after the channel acknowledged it, so a delivery is never sent again once acknowledged. Within a
delivery, each mail recipient and each part of a long chat message is recorded the moment it is
acknowledged (``Progress``), so a retry sends only what was not. A worker killed between two
marks leaves the row in ``sending``; the next run sends the rest again. That is at-least-once
delivery: every message carries an idempotency key (the ``Idempotency-Key`` header, the JSON
``id``, the e-mail ``Message-ID``) so receivers can drop the duplicate.

Channels never wait for each other: each is worked in its own thread under its own lock
(``<store>.deliver-<channel>.lock``), so a second worker (the daemon beside a manual
``watcher deliver``) skips a channel that is being sent and sends the others; every delivery is
bounded by ``settings.notify.delivery_deadline_seconds`` however slowly the receiver answers.
A failure is retried with exponential backoff and jitter until ``give_up_after_hours`` after the
alert was created, then the delivery is ``dead``.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from watcher.config import Config, NotifySettings
from watcher.deliver.alerts import DIGEST_KEY_PREFIX
from watcher.deliver.channels import (
    DEFAULT_TIMEOUT,
    Channel,
    Message,
    Progress,
    parse_channel,
    redact,
)
from watcher.deliver.channels.redaction import channel_key
from watcher.errors import NotifyError, StoreError
from watcher.locks import store_lock
from watcher.models import Alert

__all__ = [
    "SEVERITY_RANK",
    "DeliveryReport",
    "alert_message",
    "channel_rows",
    "channels_for_alert",
    "channels_from_config",
    "deliver_pending",
    "idempotency_key",
]

SEVERITY_RANK: Mapping[str, int] = {"info": 0, "notice": 1, "warning": 2, "critical": 3}
#: Most channels worked at the same time (threads); more channels wait for a free worker.
MAX_PARALLEL_CHANNELS = 8
_BATCH = 500


class _OutboxStore(Protocol):
    def due_deliveries(
        self, now: str, *, include_backoff: bool = False, limit: int = 100
    ) -> list[dict[str, Any]]: ...

    def mark_delivery(
        self,
        delivery_id: int,
        *,
        status: str,
        next_attempt_at: str | None = None,
        error: str | None = None,
    ) -> None: ...

    def defer_deliveries(self, delivery_ids: Sequence[int], next_attempt_at: str) -> None: ...

    def record_progress(self, delivery_id: int, done: Sequence[str]) -> None: ...

    def get_digest(self, week: str) -> dict[str, Any] | None: ...


@dataclass
class DeliveryReport:
    """What one run of the worker did."""

    sent: int = 0
    retry: int = 0  # failed now, or skipped because its channel failed this run
    dead: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (channel label, reason)
    busy: list[str] = field(default_factory=list)  # labels of channels another worker was sending

    @property
    def attempted(self) -> int:
        return self.sent + self.retry + self.dead

    def summary(self) -> str:
        """One Chinese line for the CLI and the daemon log."""
        line = f"已发送 {self.sent} 条，稍后重试 {self.retry} 条，放弃 {self.dead} 条"
        if self.busy:
            line += f"；{len(self.busy)} 个通道正由另一个投递进程发送，本次跳过"
        return line


# ----------------------------------------------------------------------------- config → channels


def channels_from_config(
    config: Config,
    environ: Mapping[str, str] | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, Channel]:
    """Channel key → channel for every configured notification URL (each delivery bounded by
    ``settings.notify.delivery_deadline_seconds``). A URL that does not parse
    becomes a channel whose every send fails with the reason: its deliveries are retried and
    shown as failed, and the other channels are sent as usual."""
    notify = config.settings.notify
    channels: dict[str, Channel] = {}
    for url in config.notify_urls(environ):
        try:
            channel = parse_channel(
                url,
                environ=environ,
                secret_env=notify.webhook_secret_env,
                timeout=min(timeout, notify.delivery_deadline_seconds),
                deadline=notify.delivery_deadline_seconds,
            )
        except NotifyError as exc:
            channel = _Unusable(label=redact(url), reason=str(exc))
        channels[channel_key(url)] = channel
    return channels


@dataclass
class _Unusable:
    """A configured URL that is not a valid channel: every send fails with why."""

    label: str
    reason: str

    def send(self, message: Message, progress: Progress | None = None) -> None:
        raise NotifyError(self.reason)


def channel_rows(config: Config, environ: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """``(channel key, redacted label)`` pairs for ``store.add_alert(alert, channels)``."""
    return [(channel_key(url), redact(url)) for url in config.notify_urls(environ)]


def channels_for_alert(
    config: Config, alert: Alert, environ: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """``channel_rows`` when ``alert`` reaches ``settings.notify.min_severity``, else none.
    The weekly digest goes to every channel: it is what the editors wait for."""
    if alert.kind == "digest":
        return channel_rows(config, environ)
    floor = SEVERITY_RANK.get(config.settings.notify.min_severity, 0)
    if SEVERITY_RANK.get(alert.severity, 0) < floor:
        return []
    return channel_rows(config, environ)


# ----------------------------------------------------------------------------- messages


def idempotency_key(dedupe_key: str) -> str:
    """Stable per alert across runs and restarts (and across stores holding the same alert)."""
    return "pw-" + hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:32]


DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def alert_message(row: Mapping[str, Any], digest: Mapping[str, Any] | None = None) -> Message:
    """The message for a delivery row from ``store.due_deliveries`` (alert columns joined in).
    For the weekly digest, ``digest`` (the stored draft) gives e-mail the whole text, the HTML
    and the DOCX; chat channels send only the alert's short notice."""
    extra: dict[str, Any] = {}
    if digest is not None:
        week = str(digest["week"])
        extra = {"mail_body": str(digest["markdown"]), "html": str(digest["html"])}
        if digest.get("docx"):
            extra["attachments"] = ((f"digest-{week}.docx", bytes(digest["docx"]), DOCX_MIME),)
    return Message(
        title=str(row["title"]),
        body=str(row["body"]),
        idempotency_key=idempotency_key(str(row["dedupe_key"])),
        kind=str(row.get("kind") or "alert"),
        severity=str(row.get("severity") or "info"),
        url=row.get("url"),
        evidence=tuple(row.get("evidence") or ()),
        created_at=str(row.get("alert_created_at") or row.get("created_at") or ""),
        **extra,
    )


def _message_for(store: _OutboxStore, row: Mapping[str, Any]) -> Message:
    key = str(row["dedupe_key"])
    if row.get("kind") == "digest" and key.startswith(DIGEST_KEY_PREFIX):
        digest = store.get_digest(key.removeprefix(DIGEST_KEY_PREFIX))
        if digest is None:
            raise NotifyError(
                f"{key}: 数据库中已没有这一周的简报草稿；请用 watcher digest 重新生成。"
            )
        return alert_message(row, digest)
    return alert_message(row)


# ----------------------------------------------------------------------------- the worker


def _backoff_seconds(attempts: int, settings: NotifySettings, rng: random.Random) -> float:
    """Delay before attempt ``attempts + 1``: doubling from the base, capped, ±20 % jitter."""
    base = settings.backoff_base_seconds * float(2 ** max(0, attempts - 1))
    delay = min(settings.backoff_max_seconds, base)
    return float(delay * (0.8 + 0.4 * rng.random()))


def deliver_pending(
    store: _OutboxStore,
    channels: Mapping[str, Channel],
    settings: NotifySettings,
    *,
    retry_now: bool = False,
    now: datetime | None = None,
    rng: random.Random | None = None,
    only: Callable[[str], bool] | None = None,
) -> DeliveryReport:
    """Send every due delivery once; ``retry_now`` also sends those waiting out a backoff.
    ``only`` limits the run to the channel keys it accepts (the daemon works each channel on
    its own schedule). A channel another worker is sending right now is skipped."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    rand = rng or random.Random()
    report = DeliveryReport()
    lock = threading.Lock()  # one SQLite connection, several channel threads

    by_channel: dict[str, list[dict[str, Any]]] = {}
    for row in _due(store, moment, retry_now):
        key = str(row["channel"])
        if only is None or only(key):
            by_channel.setdefault(key, []).append(row)

    def work(key: str, items: Sequence[dict[str, Any]]) -> None:
        with _channel_lock(store, key) as free:
            if not free:
                with lock:
                    report.busy.append(str(items[0].get("channel_label") or key))
                return
            _work_channel(store, channels.get(key), items, settings, moment, rand, lock, report)

    if by_channel:
        workers = min(MAX_PARALLEL_CHANNELS, len(by_channel))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deliver") as pool:
            futures = [pool.submit(work, k, v) for k, v in sorted(by_channel.items())]
            for f in futures:
                f.result()
    return report


def _due(store: _OutboxStore, moment: datetime, retry_now: bool) -> list[dict[str, Any]]:
    seen: set[int] = set()
    rows: list[dict[str, Any]] = []
    while True:
        limit = len(seen) + _BATCH
        batch = store.due_deliveries(_iso(moment), include_backoff=retry_now, limit=limit)
        fresh = [r for r in batch if int(r["id"]) not in seen]
        rows.extend(fresh)
        seen.update(int(r["id"]) for r in fresh)
        if not fresh or len(batch) < limit:
            return rows


@contextlib.contextmanager
def _channel_lock(store: _OutboxStore, key: str) -> Iterator[bool]:
    """Hold the per-channel delivery lock of a store file; yields False when it is taken."""
    path = getattr(store, "path", None)
    if path is None:
        yield True
        return
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(store_lock(Path(path), f"deliver-{key[:16]}", "busy"))
        except StoreError:
            yield False
            return
        yield True


def _work_channel(
    store: _OutboxStore,
    channel: Channel | None,
    items: Sequence[dict[str, Any]],
    settings: NotifySettings,
    moment: datetime,
    rng: random.Random,
    lock: threading.Lock,
    report: DeliveryReport,
) -> None:
    give_up = timedelta(hours=settings.give_up_after_hours)
    for index, row in enumerate(items):
        did = int(row["id"])
        label = str(row.get("channel_label") or "")

        def keep(done: frozenset[str], did: int = did) -> None:
            with lock:
                store.record_progress(did, sorted(done))

        progress = Progress(done=set(row.get("progress") or ()), on_mark=keep)
        try:
            if channel is None:
                raise NotifyError(
                    f"{label}: 该通道已不在配置中（settings.notify.urls / WATCHER_NOTIFY_URLS）。"
                )
            with lock:
                message = _message_for(store, row)
                store.mark_delivery(did, status="sending")
            channel.send(message, progress)
        except Exception as exc:  # any channel bug must become a retry, never a lost alert
            reason = str(exc) if isinstance(exc, NotifyError) else f"{label}: {type(exc).__name__}"
            with lock:
                report.errors.append((label, reason))
                retry_at = _fail(store, row, reason, settings, moment, rng, report)
                # The channel is down: postpone its other deliveries to the same time instead of
                # waiting out one timeout per alert now.
                _defer(store, items[index + 1 :], reason, retry_at, moment, give_up, report)
            return
        with lock:
            store.mark_delivery(did, status="sent")
            report.sent += 1


def _fail(
    store: _OutboxStore,
    row: Mapping[str, Any],
    reason: str,
    settings: NotifySettings,
    moment: datetime,
    rng: random.Random,
    report: DeliveryReport,
) -> str:
    """Record a failed attempt: dead after the give-up time, else pending with backoff."""
    did = int(row["id"])
    retry_at = _iso(
        moment
        + timedelta(seconds=_backoff_seconds(int(row.get("attempts") or 0) + 1, settings, rng))
    )
    if moment - _created(row) >= timedelta(hours=settings.give_up_after_hours):
        store.mark_delivery(did, status="dead", error=reason)
        report.dead += 1
    else:
        store.mark_delivery(did, status="pending", error=reason, next_attempt_at=retry_at)
        report.retry += 1
    return retry_at


def _defer(
    store: _OutboxStore,
    rest: Sequence[Mapping[str, Any]],
    reason: str,
    retry_at: str,
    moment: datetime,
    give_up: timedelta,
    report: DeliveryReport,
) -> None:
    """Postpone the remaining deliveries of a channel that just failed (dead when too old)."""
    later: list[int] = []
    for row in rest:
        if moment - _created(row) >= give_up:
            store.mark_delivery(int(row["id"]), status="dead", error=reason)
            report.dead += 1
        else:
            later.append(int(row["id"]))
    store.defer_deliveries(later, retry_at)
    report.retry += len(later)


def _created(row: Mapping[str, Any]) -> datetime:
    return _parse(str(row.get("alert_created_at") or row.get("created_at")))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
