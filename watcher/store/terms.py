"""What ranking research directions keeps between runs: each version's segmentation (made once,
so re-ranking a week never segments again), each stored ranking's bounds and the newest version
it had seen (so readers take it while it is fresh, and the daemon re-ranks only when something
new was stored)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import cast

from watcher.models import Direction, Segmentation
from watcher.serialize import segmentation_from_bytes, segmentation_to_bytes
from watcher.store.base import StoreBase
from watcher.store.findings import FindingsMixin

__all__ = ["TermsMixin"]

#: meta key: the newest version id the stored ranking had seen when it was made
_RANKED_THROUGH = "directions_ranked_through"
#: meta key: when the stored ranking was made (UTC ISO)
_RANKED_AT = "directions_ranked_at"


class TermsMixin(StoreBase):
    """Mixed into ``Store`` after ``FindingsMixin``, whose directions table it fills."""

    def segmentations(self, version_ids: Iterable[int]) -> dict[int, Segmentation]:
        """Stored segmentations of these versions (whatever analyser made them)."""
        ids = sorted(set(version_ids))
        out: dict[int, Segmentation] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for vid, analyser, words in self.conn.execute(
                f"SELECT version_id, analyser, words FROM version_terms WHERE version_id IN ({marks})",
                chunk,
            ):
                out[int(vid)] = segmentation_from_bytes(str(analyser), bytes(words))
        return out

    def save_segmentations(self, segmentations: Mapping[int, Segmentation]) -> None:
        """Keep (or replace) the segmentations of these versions."""
        with self.transaction():
            for vid, seg in segmentations.items():
                self.conn.execute(
                    "INSERT INTO version_terms(version_id, analyser, words, created_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT(version_id) DO UPDATE SET "
                    "analyser = excluded.analyser, words = excluded.words, "
                    "created_at = excluded.created_at",
                    (vid, seg.analyser, segmentation_to_bytes(seg), self.now()),
                )

    # ------------------------------------------------------------------ stored rankings

    def save_ranking(
        self,
        period: str,
        bounds: tuple[str, str],
        directions: Sequence[Direction],
        *,
        through_version_id: int,
        analyser: str,
        limit: int,
    ) -> None:
        """Store ``period``'s ranking of the documents stored in ``bounds`` = [start, end), made
        when ``through_version_id`` was the newest version, by ``analyser``, asking ``limit``."""
        info = {
            "period": period,
            "through": through_version_id,
            "analyser": analyser,
            "limit": limit,
            "count": len(directions),
        }
        with self.transaction():
            cast(FindingsMixin, self).save_directions(period, directions)
            self._set(_bounds_key(bounds), json.dumps(info))

    def stored_ranking(
        self, bounds: tuple[str, str], *, analyser: str, limit: int
    ) -> list[Direction] | None:
        """The stored ranking of exactly these bounds while it is fresh: made by ``analyser``,
        with at least ``limit`` directions asked for, and no version stored since that falls
        before the end of the bounds (a later one changes neither the period nor its history).
        None when there is none or it is stale."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (_bounds_key(bounds),))
        found = row.fetchone()
        if not found:
            return None
        info = json.loads(found[0])
        if info["analyser"] != analyser or info["limit"] < limit:
            return None
        newer = self.conn.execute(
            "SELECT 1 FROM versions WHERE id > ? AND fetched_at < ? LIMIT 1",
            (info["through"], bounds[1]),
        ).fetchone()
        if newer:
            return None
        return cast(FindingsMixin, self).directions(info["period"])[:limit]

    def version_times_after(self, version_id: int) -> list[str]:
        """When each version newer than ``version_id`` was stored (UTC ISO), oldest first."""
        rows = self.conn.execute(
            "SELECT DISTINCT fetched_at FROM versions WHERE id > ? ORDER BY fetched_at",
            (version_id,),
        )
        return [str(r[0]) for r in rows]

    def ranked_at(self) -> str | None:
        """When a ranking was last made (UTC ISO), if ever."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (_RANKED_AT,)).fetchone()
        return str(row[0]) if row else None

    def _set(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # ------------------------------------------------------------------ what is new since

    def newest_version_id(self) -> int:
        """The id of the newest stored version (0 for an empty store)."""
        row = self.conn.execute("SELECT MAX(id) FROM versions").fetchone()
        return int(row[0] or 0)

    def mark_ranked(self, through_version_id: int, at: datetime | None = None) -> None:
        """Record that the stored rankings have seen every version up to this id, ranked
        ``at`` (default: the store's clock)."""
        when = at.astimezone(UTC).isoformat(timespec="seconds") if at else self.now()
        with self.transaction():
            self._set(_RANKED_THROUGH, str(through_version_id))
            self._set(_RANKED_AT, when)

    def ranked_through(self) -> int:
        """The newest version id the stored ranking has seen (0: never ranked)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (_RANKED_THROUGH,))
        value = row.fetchone()
        return int(value[0]) if value else 0

    def ranking_stale(self) -> bool:
        """Whether a version was stored after the last ranking."""
        return self.newest_version_id() > self.ranked_through()


def _bounds_key(bounds: tuple[str, str]) -> str:
    return f"ranking:{bounds[0]}|{bounds[1]}"
