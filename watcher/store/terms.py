"""What ranking research directions keeps between runs: each version's segmentation (made once,
so re-ranking a week never segments again) and which versions the stored ranking has seen (so
the daemon re-ranks only when something new was stored)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from watcher.models import Segmentation
from watcher.serialize import segmentation_from_bytes, segmentation_to_bytes
from watcher.store.base import StoreBase

__all__ = ["TermsMixin"]

#: meta key: the newest version id the stored ranking had seen when it was made
_RANKED_THROUGH = "directions_ranked_through"
#: meta key: when the stored ranking was made (UTC ISO)
_RANKED_AT = "directions_ranked_at"


class TermsMixin(StoreBase):
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

    def newest_version_id(self) -> int:
        """The id of the newest stored version (0 for an empty store)."""
        row = self.conn.execute("SELECT MAX(id) FROM versions").fetchone()
        return int(row[0] or 0)

    def mark_ranked(self, through_version_id: int) -> None:
        """Record that the stored ranking has seen every version up to this id."""
        with self.transaction():
            for key, value in (
                (_RANKED_THROUGH, str(through_version_id)),
                (_RANKED_AT, self.now()),
            ):
                self.conn.execute(
                    "INSERT INTO meta(key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

    def ranked_through(self) -> int:
        """The newest version id the stored ranking has seen (0: never ranked)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (_RANKED_THROUGH,))
        value = row.fetchone()
        return int(value[0]) if value else 0

    def ranking_stale(self) -> bool:
        """Whether a version was stored after the last ranking."""
        return self.newest_version_id() > self.ranked_through()
