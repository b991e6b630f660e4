"""List pages' validators and the links they held, for conditional GETs of list pages: an
unchanged list page costs one 304 and its links are read back from here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from watcher.models import Link
from watcher.store.base import StoreBase

__all__ = ["ListPage", "ListPagesMixin"]


@dataclass(frozen=True)
class ListPage:
    """What the last full fetch of a list page gave: its validators and its links."""

    url: str
    etag: str | None
    last_modified: str | None
    links: tuple[Link, ...]


class ListPagesMixin(StoreBase):
    def list_page(self, url: str) -> ListPage | None:
        row = self.conn.execute(
            "SELECT etag, last_modified, links_json FROM list_pages WHERE url = ?", (url,)
        ).fetchone()
        if row is None:
            return None
        links = tuple(
            Link(
                url=str(item["url"]),
                title=str(item.get("title") or ""),
                date=item.get("date"),
                meta=dict(item.get("meta") or {}),
            )
            for item in json.loads(row[2])
        )
        return ListPage(url, row[0], row[1], links)

    def save_list_page(
        self, url: str, etag: str | None, last_modified: str | None, links: Sequence[Link]
    ) -> None:
        """Keep a fully fetched list page's validators and links (a page without validators
        is forgotten: it can never answer 304)."""
        with self.transaction():
            if not etag and not last_modified:
                self.conn.execute("DELETE FROM list_pages WHERE url = ?", (url,))
                return
            payload = json.dumps(
                [
                    {"url": k.url, "title": k.title, "date": k.date, "meta": dict(k.meta)}
                    for k in links
                ],
                ensure_ascii=False,
            )
            self.conn.execute(
                "INSERT INTO list_pages(url, etag, last_modified, links_json, fetched_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, "
                "last_modified = excluded.last_modified, links_json = excluded.links_json, "
                "fetched_at = excluded.fetched_at",
                (url, etag, last_modified, payload, self.now()),
            )
