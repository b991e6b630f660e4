"""This week's research directions, re-ranked after a cycle stored something: stored for the
web page and the digest, and the new top ones alerted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watcher.analysis.directions import directions_for_period
from watcher.config import Config
from watcher.deliver import alerts as alert_rules
from watcher.models import Direction
from watcher.periods import iso_week
from watcher.pipeline.document import IngestRules, raise_alert
from watcher.store import Store

__all__ = ["DIRECTION_ALERTS", "DIRECTION_WINDOW", "refresh_directions"]

#: Directions of the top of the weekly ranking are alerted the day they appear.
DIRECTION_ALERTS = 3
DIRECTION_WINDOW = timedelta(days=7)


def refresh_directions(
    store: Store, config: Config, rules: IngestRules | None = None, now: datetime | None = None
) -> list[Direction]:
    """Re-rank this week's research directions, store them, alert the new top ones.

    No direction alerts while the store has no history before the window: on a fresh install
    every term is "new", which says nothing.
    """
    channels = (rules or IngestRules.from_config(config)).channels
    moment = now or datetime.now(UTC)
    period = iso_week(moment, config.settings.timezone)
    start = (moment - DIRECTION_WINDOW).astimezone(UTC).isoformat(timespec="seconds")
    end = (moment + timedelta(seconds=1)).astimezone(UTC).isoformat(timespec="seconds")
    ranked = directions_for_period(
        store, start, end, limit=max(10, config.settings.digest.max_directions)
    )
    with store.transaction():
        store.save_directions(period, ranked)
        if store.documents(until=start, limit=1):
            for direction in ranked[:DIRECTION_ALERTS]:
                raise_alert(store, channels, alert_rules.alert_direction(direction, period))
    return ranked
