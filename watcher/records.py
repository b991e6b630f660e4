"""Rows read back from the store, as frozen dataclasses: the store's public return types, kept
beside ``models`` so stages can name them (in Protocols) without depending on the store."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from watcher.models import Comparison, SectionChange

__all__ = [
    "AliasDecisionRow",
    "ChangeRow",
    "ComparisonRow",
    "DocumentRow",
    "LinkRow",
    "SourceRow",
    "VersionResult",
    "VersionRow",
]


@dataclass(frozen=True)
class SourceRow:
    id: str
    name: str
    level: str
    consecutive_failures: int
    last_run_at: str | None
    last_ok_at: str | None
    next_run_at: str | None
    last_error: str | None
    last_outcome: str | None


@dataclass(frozen=True)
class DocumentRow:
    id: int
    source_id: str | None
    url: str
    identity_key: str
    title: str
    doc_number: str | None
    issuer: str | None
    index_no: str | None
    written_date: str | None
    published_date: str | None
    topic: str | None
    validity: str | None
    level: str | None
    kind: str | None
    origin: str
    first_seen: str
    last_seen: str
    current_version_id: int | None
    parent_id: int | None  # the lineage parent (the document it implements), when known
    attachment_of: int | None = None  # the page this attachment belongs to

    @property
    def meta(self) -> dict[str, str]:
        keys = (
            "index_no",
            "doc_number",
            "issuer",
            "written_date",
            "published_date",
            "topic",
            "validity",
        )
        return {k: v for k in keys if (v := getattr(self, k))}

    @property
    def date(self) -> str | None:
        """The date a reader cares about: publication, else signing, else first seen."""
        return self.published_date or self.written_date or self.first_seen[:10]


@dataclass(frozen=True)
class VersionRow:
    id: int
    document_id: int
    seq: int
    fetched_at: str
    title: str
    text: str
    text_hash: str
    meta_json: str
    attachments_json: str
    blob_hash: str | None
    url: str | None
    etag: str | None
    last_modified: str | None
    encoding: str | None

    @property
    def meta(self) -> dict[str, str]:
        value: dict[str, str] = json.loads(self.meta_json)
        return value

    @property
    def attachments(self) -> list[dict[str, Any]]:
        value: list[dict[str, Any]] = json.loads(self.attachments_json)
        return value


@dataclass(frozen=True)
class VersionResult:
    """What storing a fetched document did."""

    status: Literal["new_document", "new_version", "unchanged"]
    document_id: int
    version_id: int  # the current version (the new one, or the unchanged one)
    previous_version_id: int | None  # set for new_version
    flip_flop: bool = False  # the new text equals an earlier (not the last) version


@dataclass(frozen=True)
class ChangeRow:
    """A stored version diff: what changed from ``old_version_id`` to ``new_version_id``."""

    id: int
    document_id: int
    old_version_id: int
    new_version_id: int
    created_at: str
    substantive: bool
    flip_flop: bool
    changes: tuple[SectionChange, ...]


@dataclass(frozen=True)
class LinkRow:
    """A lineage link from a document to the parent it cites (``parent_id`` None until held)."""

    id: int
    child_id: int
    parent_id: int | None
    relation: str
    cited_title: str
    evidence: str
    doc_number: str | None
    created_at: str


@dataclass(frozen=True)
class ComparisonRow:
    """A stored comparison of one version of a document with one version of its parent."""

    id: int
    new_document_id: int
    old_document_id: int
    new_version_id: int
    old_version_id: int
    created_at: str
    comparison: Comparison


@dataclass(frozen=True)
class AliasDecisionRow:
    """One identity decision: ``url`` merged into ``document_id`` as a copy, kept apart from
    ``other_document_id`` although they share a key, or a merge that was undone (the page then
    became ``split_document_id``)."""

    id: int
    url: str
    document_id: int
    other_document_id: int | None
    decision: Literal["merged", "separate", "undone"]
    identity_key: str
    reason: str
    title: str
    decided_at: str
    undone_at: str | None
    split_document_id: int | None
