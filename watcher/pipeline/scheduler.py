"""The daemon's clock: APScheduler jobs for every source, the ranking of research directions,
the delivery worker, the weekly digest, housekeeping and the heartbeat.

The only module that owns time. One job per source (its own interval or cron, with jitter,
misfires coalesced, ``max_instances=1`` so a source never runs twice at once); after downtime
each overdue source runs once at start, not once per missed interval, and a week whose digest
was missed is produced at start. Every job opens its own ``Store`` (SQLite connections belong
to one thread). The outbox job starts one sender thread per channel and returns, so a slow
channel never holds up the others or the next outbox run. ``reload()`` re-reads the
configuration and reschedules without losing state.

Source jobs never rank research directions: the ranking job checks every RANKING_CHECK_SECONDS
and ranks only when something new was stored and ``directions.rank_every_minutes`` have passed
since the last ranking (``RankingJob``); the digest job ranks first when anything is unranked.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from watcher.config import Config, Source
from watcher.errors import WatcherError
from watcher.periods import iso_week
from watcher.pipeline.cycle import Pipeline
from watcher.pipeline.ranking import RankingJob
from watcher.store import Store

__all__ = ["Daemon", "last_due_digest_week"]

log = logging.getLogger("watcher.daemon")

HEARTBEAT_SECONDS = 10.0
OUTBOX_SECONDS = 30.0
#: How often the ranking job looks whether a ranking is due (it ranks far less often).
RANKING_CHECK_SECONDS = 60.0


def last_due_digest_week(config: Config, now: datetime) -> str:
    """The ISO week of the most recent digest time that has passed (in the configured zone)."""
    tz = ZoneInfo(config.settings.timezone)
    d = config.settings.digest
    local = now.astimezone(tz)
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun").index(d.weekday[:3].lower())
    due = (local - timedelta(days=(local.weekday() - weekday) % 7)).replace(
        hour=d.hour, minute=d.minute, second=0, microsecond=0
    )
    if due > local:
        due -= timedelta(days=7)
    return iso_week(due, config.settings.timezone)


class Daemon:
    """Owns the BackgroundScheduler; ``start()``, ``reload()``, ``stop()``."""

    def __init__(
        self,
        config_loader: Callable[[], Config],
        store_path: Path,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.load_config = config_loader
        self.config = config_loader()
        self.store_path = store_path
        self.clock = clock
        self.stopping = threading.Event()
        self.cycles = 0
        self.ranking = RankingJob(clock)
        self._lock = threading.Lock()
        self._senders: dict[str, threading.Thread] = {}  # one delivery thread per channel
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
            timezone=ZoneInfo(self.config.settings.timezone),
        )
        self.scheduler.add_listener(self._on_job_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        with Store.open(self.store_path) as store:
            store.sync_sources(self.config.sources)
            store.heartbeat()
        self._schedule_sources()
        self.scheduler.add_job(
            self._heartbeat,
            IntervalTrigger(seconds=HEARTBEAT_SECONDS),
            id="heartbeat",
            replace_existing=True,
        )
        self.scheduler.add_job(
            self._deliver,
            IntervalTrigger(seconds=OUTBOX_SECONDS),
            id="outbox",
            next_run_time=self.clock(),
            replace_existing=True,
        )
        self.scheduler.add_job(
            self._rank_directions,
            IntervalTrigger(seconds=RANKING_CHECK_SECONDS),
            id="directions",
            replace_existing=True,
        )
        self._schedule_digest()
        self.scheduler.add_job(
            self._housekeeping,
            CronTrigger(hour=3, minute=30),
            id="housekeeping",
            replace_existing=True,
        )
        self.scheduler.start()
        self._catch_up_digest()
        log.info("daemon started", extra={"sources": len(self.config.sources)})

    def stop(self, timeout: float = 8.0) -> bool:
        """Stop scheduling, let in-flight jobs finish their current document, flush state.

        Returns False when some job was still running at the deadline (its work is abandoned:
        every document is written atomically, so the store stays consistent).
        """
        self.stopping.set()
        self.scheduler.shutdown(wait=False)
        deadline = self.clock() + timedelta(seconds=timeout)
        finished = False
        while self.clock() < deadline:
            if not any(
                t.name.startswith("ThreadPoolExecutor") and t.is_alive()
                for t in threading.enumerate()
            ) and not any(t.is_alive() for t in self._senders.values()):
                finished = True
                break
            self.stopping.wait(0.1)
        try:
            with Store.open(self.store_path) as store:
                store.set_meta("stopped_at", store.now())
        except WatcherError:
            log.exception("could not record the shutdown")
        return finished

    def reload(self) -> None:
        """Re-read the configuration; add, change and remove source jobs; keep all state."""
        try:
            config = self.load_config()
        except WatcherError as exc:
            log.error("reload refused, keeping the running configuration: %s", exc)
            return
        with self._lock:
            old_ids = {s.id for s in self.config.sources}
            self.config = config
            for sid in old_ids - {s.id for s in config.sources}:
                if self.scheduler.get_job(f"source:{sid}"):
                    self.scheduler.remove_job(f"source:{sid}")
        with Store.open(self.store_path) as store:
            store.sync_sources(config.sources)
        self._schedule_sources()
        self._schedule_digest()
        log.info("configuration reloaded", extra={"sources": len(config.sources)})

    # ------------------------------------------------------------------ scheduling

    def _schedule_sources(self) -> None:
        with Store.open(self.store_path) as store:
            last_runs = {r.id: r.last_run_at for r in store.sources()}
        now = self.clock()
        for i, source in enumerate(s for s in self.config.sources if s.enabled):
            trigger = self._trigger(source)
            job_id = f"source:{source.id}"
            last = last_runs.get(source.id)
            interval = timedelta(minutes=source.interval_minutes)
            # Catch-up: an overdue source runs once now (staggered), never once per missed slot.
            if last is None or datetime.fromisoformat(last) + interval <= now:
                first = now + timedelta(seconds=min(i * 0.5, 30))
            else:
                first = datetime.fromisoformat(last) + interval
            existing = self.scheduler.get_job(job_id)
            if existing is not None:
                existing.reschedule(trigger)
                continue
            self.scheduler.add_job(
                self._run_source,
                trigger,
                args=[source.id],
                id=job_id,
                name=source.name,
                next_run_time=first,
                replace_existing=True,
            )

    def _trigger(self, source: Source) -> Any:
        tz = ZoneInfo(self.config.settings.timezone)
        if source.cron:
            return CronTrigger.from_crontab(source.cron, timezone=tz)
        return IntervalTrigger(
            seconds=source.interval_minutes * 60, jitter=source.jitter_seconds or None, timezone=tz
        )

    def _schedule_digest(self) -> None:
        d = self.config.settings.digest
        trigger = CronTrigger(
            day_of_week=d.weekday,
            hour=d.hour,
            minute=d.minute,
            timezone=ZoneInfo(self.config.settings.timezone),
        )
        self.scheduler.add_job(self._digest, trigger, id="digest", replace_existing=True)

    def _on_job_event(self, event: JobExecutionEvent) -> None:
        job_id = str(event.job_id)
        if not job_id.startswith("source:"):
            return
        job = self.scheduler.get_job(job_id)
        nxt = (
            job.next_run_time.astimezone(UTC).isoformat(timespec="seconds")
            if job and job.next_run_time
            else None
        )
        try:
            with Store.open(self.store_path) as store:
                store.set_next_run(job_id.removeprefix("source:"), nxt)
        except WatcherError:
            log.exception("could not record the next run")

    # ------------------------------------------------------------------ jobs

    def _run_source(self, source_id: str) -> None:
        if self.stopping.is_set():
            return
        config = self.config
        try:
            source = config.source(source_id)
        except WatcherError:
            return
        with Store.open(self.store_path) as store:
            pipeline = Pipeline(config, store, stop=self.stopping, rank=False)
            report = asyncio.run(pipeline.run_cycle([source.id]))
        with self._lock:
            self.cycles += 1
        for o in report.outcomes:
            log.info(
                "source run finished",
                extra={
                    "source": o.source_id,
                    "status": o.status,
                    "new_documents": o.new_documents,
                    "new_versions": o.new_versions,
                    "unchanged": o.unchanged,
                    "failed": o.failed,
                    "alerts": o.alerts,
                    "seconds": round(o.seconds, 2),
                    "error": o.error,
                },
            )

    def _rank_directions(self, *, force: bool = False) -> None:
        """Re-rank research directions when due (see RankingJob); never fatal to the daemon."""
        if self.stopping.is_set() and not force:
            return
        try:
            with Store.open(self.store_path) as store:
                if self.ranking.run(store, self.config, force=force):
                    log.info("research directions ranked", extra={"runs": self.ranking.runs})
        except WatcherError:
            log.exception("research directions could not be ranked")

    def _heartbeat(self) -> None:
        with Store.open(self.store_path) as store:
            store.heartbeat()

    def _deliver(self) -> None:
        """Start a sender for each channel whose previous one has finished, and return at once:
        a slow channel only delays itself, never the others or the next outbox run."""
        if self.stopping.is_set():
            return
        from watcher.deliver.outbox import channels_from_config

        channels = channels_from_config(self.config)
        if not channels:
            return
        keys = frozenset(channels)
        groups: list[tuple[str, Mapping[str, Any], Callable[[str], bool]]] = [
            (key, {key: channel}, key.__eq__) for key, channel in channels.items()
        ]
        # deliveries to channels no longer configured fail (and are given up) on their own
        groups.append(("removed", channels, lambda key: key not in keys))
        for name, chosen, only in groups:
            running = self._senders.get(name)
            if running is not None and running.is_alive():
                continue
            sender = threading.Thread(
                target=self._send, args=(chosen, only), name=f"deliver-{name[:8]}", daemon=True
            )
            self._senders[name] = sender
            sender.start()

    def _send(self, channels: Mapping[str, Any], only: Callable[[str], bool]) -> None:
        from watcher.deliver.outbox import deliver_pending

        try:
            with Store.open(self.store_path) as store:
                report = deliver_pending(store, channels, self.config.settings.notify, only=only)
        except WatcherError as exc:
            log.error("deliveries failed: %s", exc)
            return
        except Exception:  # a sender thread has no job listener: log it like a failed job
            log.exception("deliveries crashed")
            return
        if report.attempted or report.busy:
            log.info("deliveries", extra={"report": report.summary()})

    def _digest(self, week: str | None = None) -> None:
        from watcher.deliver.digest import build_digest, queue_digest

        week = week or last_due_digest_week(self.config, self.clock())
        self._rank_directions(force=True)  # the digest reads the stored ranking
        with Store.open(self.store_path) as store:
            digest = build_digest(
                store, week, self.config.settings.digest, tz=self.config.settings.timezone
            )
            queue_digest(store, self.config, digest)
        log.info("digest built", extra={"week": week})

    def _catch_up_digest(self) -> None:
        week = last_due_digest_week(self.config, self.clock())
        with Store.open(self.store_path) as store:
            have = store.get_digest(week) is not None
        if not have:
            self.scheduler.add_job(
                self._digest,
                args=[week],
                id="digest-catch-up",
                next_run_time=self.clock() + timedelta(seconds=5),
                replace_existing=True,
            )

    def _housekeeping(self) -> None:
        keep = timedelta(days=self.config.settings.fetch_log_days)
        with Store.open(self.store_path) as store:
            cutoff = (self.clock() - keep).astimezone(UTC).isoformat(timespec="seconds")
            removed = store.prune_fetch_log(cutoff)
            store.vacuum()
        log.info("housekeeping", extra={"fetch_rows_removed": removed})
