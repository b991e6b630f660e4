"""Research directions, ranked off the fetch path: once at the end of a ``watcher check`` cycle
that stored something, and in the daemon by a debounced job of its own (``RankingJob``), never
by the per-source jobs. A ranking is stored per ISO week (in the configured zone) with its
bounds, so the web page, the digest and ``watcher directions`` read it instead of ranking
again; the new top ones of the current week are alerted.

Every week that received a version since the last ranking is re-ranked (a document stored late
on Sunday belongs to last week's digest), the current one and the one before it at most.
Each version is segmented once (``directions_for_period`` keeps the segmentations), so
re-ranking a week costs the scoring only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from watcher.analysis.candidates import analyser
from watcher.analysis.directions import directions_for_period
from watcher.config import Config
from watcher.deliver import alerts as alert_rules
from watcher.models import Direction
from watcher.periods import iso_week, week_bounds
from watcher.pipeline.document import IngestRules, raise_alert
from watcher.store import Store
from watcher.text.terms import release_tokenizer

__all__ = [
    "BACKFILL_WEEKS",
    "DIRECTION_ALERTS",
    "RankingJob",
    "rank_period",
    "ranking_limit",
    "refresh_directions",
]

#: Directions of the top of the weekly ranking are alerted the day they appear.
DIRECTION_ALERTS = 3
#: How many weeks back a late version still re-ranks its week (the current one included).
BACKFILL_WEEKS = 2


def ranking_limit(config: Config) -> int:
    """How many directions a stored ranking keeps (the digest shows max_directions of them)."""
    return max(10, config.settings.digest.max_directions)


def rank_period(
    store: Store, period: str, bounds: tuple[str, str], *, limit: int, through: int
) -> list[Direction]:
    """Rank the documents stored in ``bounds`` and store the ranking as ``period``'s.
    ``through`` is the newest version id when the ranking started."""
    ranked = directions_for_period(store, bounds[0], bounds[1], limit=limit)
    store.save_ranking(
        period, bounds, ranked, through_version_id=through, analyser=analyser(), limit=limit
    )
    return ranked


def refresh_directions(
    store: Store, config: Config, rules: IngestRules | None = None, now: datetime | None = None
) -> list[Direction]:
    """Re-rank the current week and every recent week that received a version since the last
    ranking, store them, alert the current week's new top ones; returns the current week's.

    No direction alerts while the store has no history before the week: on a fresh install
    every term is "new", which says nothing.
    """
    channels = (rules or IngestRules.from_config(config)).channels
    tz = config.settings.timezone
    moment = now or datetime.now(UTC)
    current = iso_week(moment, tz)
    through = store.newest_version_id()
    oldest = iso_week(moment - timedelta(weeks=BACKFILL_WEEKS - 1), tz)
    weeks = {
        iso_week(datetime.fromisoformat(t), tz)
        for t in store.version_times_after(store.ranked_through())
    }
    limit = ranking_limit(config)
    ranked: list[Direction] = []
    for week in sorted({current} | {w for w in weeks if oldest <= w <= current}):
        found = rank_period(store, week, week_bounds(week, tz), limit=limit, through=through)
        if week == current:
            ranked = found
    start = week_bounds(current, tz)[0]
    with store.transaction():
        if store.documents(until=start, limit=1):
            for direction in ranked[:DIRECTION_ALERTS]:
                raise_alert(store, channels, alert_rules.alert_direction(direction, current))
    store.mark_ranked(through, moment)
    return ranked


class RankingJob:
    """The daemon's ranking: re-ranks only when a version was stored since the last ranking,
    and at most every ``config.settings.directions.rank_every_minutes`` (the last ranking's
    time is kept in the store, so ``watcher check`` runs count too), except when ``force``d
    (before the digest). jieba's dictionary is dropped after each run, so the daemon does not
    keep ~70 MB between rankings."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.runs = 0

    def due(self, store: Store, config: Config, *, force: bool = False) -> bool:
        if not store.ranking_stale():
            return False
        last = store.ranked_at()
        if force or last is None:
            return True
        interval = timedelta(minutes=config.settings.directions.rank_every_minutes)
        return self.clock() - datetime.fromisoformat(last) >= interval

    def run(self, store: Store, config: Config, *, force: bool = False) -> bool:
        """Rank if due; True when it did."""
        if not self.due(store, config, force=force):
            return False
        try:
            refresh_directions(store, config, now=self.clock())
        finally:
            release_tokenizer()
        self.runs += 1
        return True
