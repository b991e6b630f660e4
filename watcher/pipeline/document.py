"""One document into the store with everything it causes, in named steps, atomically.

``ingest_document`` is the step list: ``prepare`` (normalise, structure, identity key),
``record_version`` (the store decides: new document, new version, unchanged), ``record_change``
(the diff against the previous version), ``document_alerts`` (new document, new version, topic
hits) and ``link_and_compare`` (lineage links, the comparison with a parent we hold); every
alert goes to the outbox with its deliveries. All of it runs in one store transaction, so a
crash leaves all of it or none of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from watcher.analysis import lineage
from watcher.analysis.compare import compare
from watcher.analysis.diff import diff_versions, text_fingerprint
from watcher.analysis.directions import topic_hits
from watcher.config import Config, Pair, Topic
from watcher.deliver import alerts as alert_rules
from watcher.deliver.outbox import channels_for_alert
from watcher.ingest.attachments import MAX_TEXT_CHARS
from watcher.models import Alert, Attachment, LineageLink, Section, VersionDiff
from watcher.records import VersionResult
from watcher.store import Store
from watcher.text import identity, normalize, structure

__all__ = [
    "DocumentInput",
    "IngestRules",
    "PreparedDocument",
    "document_alerts",
    "ingest_document",
    "link_and_compare",
    "prepare",
    "raise_alert",
    "record_change",
    "record_version",
]

#: The name alerts give a document stored without a source (``watcher import``).
LOCAL_SOURCE_NAME = "本地导入"
#: Longer titles are cut (with "…"): the longest real 通知 title seen is under 150 characters.
TITLE_MAX_CHARS = 300

log = logging.getLogger("watcher.pipeline")


@dataclass(frozen=True)
class DocumentInput:
    """A document ready to store: what extraction (or an import) made of one URL or file."""

    url: str
    title: str
    text: str
    meta: dict[str, str]
    attachments: tuple[Attachment, ...] = ()
    raw: bytes = b""
    content_type: str | None = None
    encoding: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    origin: str = "fetch"


@dataclass(frozen=True)
class IngestRules:
    """What storing a document needs besides the document: the watchlist, the configured
    parent pairs, and which channels an alert goes to."""

    topics: tuple[Topic, ...] = ()
    pairs: tuple[Pair, ...] = ()
    channels: Callable[[Alert], list[tuple[str, str]]] = field(default=lambda alert: [])

    @classmethod
    def from_config(cls, config: Config) -> IngestRules:
        return cls(
            topics=config.topics,
            pairs=config.pairs,
            channels=lambda alert: channels_for_alert(config, alert),
        )


@dataclass(frozen=True)
class PreparedDocument:
    """A document in its stored form: canonical text, section tree, identity."""

    doc: DocumentInput
    title: str
    text: str
    tree: Section
    identity_key: str
    kind: str | None


def prepare(doc: DocumentInput, *, media: bool = False) -> PreparedDocument:
    """Normalise text and title, parse the section tree, derive the identity key and kind
    (``media``: the source is a news site)."""
    raw = doc.text
    if len(raw) > MAX_TEXT_CHARS:
        log.warning(
            "%s: text of %d characters cut to %d (the raw file is kept)",
            doc.url,
            len(raw),
            MAX_TEXT_CHARS,
        )
        raw = raw[:MAX_TEXT_CHARS]
    text = normalize.normalize(raw)
    title = normalize.normalize(doc.title).replace("\n", "") or "（无标题）"
    if len(title) > TITLE_MAX_CHARS:
        log.warning("%s: title of %d characters cut to %d", doc.url, len(title), TITLE_MAX_CHARS)
        title = title[: TITLE_MAX_CHARS - 1] + "…"
    return PreparedDocument(
        doc=doc,
        title=title,
        text=text,
        tree=structure.parse(text, title),
        identity_key=identity.identity_key(
            title, doc.meta.get("doc_number"), doc.meta.get("index_no")
        ),
        kind=identity.classify_kind(
            title, text, media=media, has_number=bool(doc.meta.get("doc_number"))
        ),
    )


def record_version(
    store: Store,
    p: PreparedDocument,
    *,
    level: str | None,
    source_id: str | None,
    attachment_of: int | None = None,
) -> VersionResult:
    doc = p.doc
    return store.save_version(
        url=identity.canonical_url(doc.url),
        identity_key=p.identity_key,
        title=p.title,
        text=p.text,
        text_hash=text_fingerprint(p.text),
        meta=doc.meta,
        source_id=source_id,
        level=level,
        kind=p.kind,
        origin=doc.origin,
        attachments=[asdict(a) for a in doc.attachments],
        raw=doc.raw or None,
        content_type=doc.content_type,
        etag=doc.etag,
        last_modified=doc.last_modified,
        encoding=doc.encoding,
        attachment_of=attachment_of,
    )


def record_change(store: Store, p: PreparedDocument, result: VersionResult) -> VersionDiff | None:
    """Store the diff of a new version against the previous one (none for a flip-flop back to
    an earlier text); the diff, or None when there is nothing to diff."""
    if result.status != "new_version" or result.previous_version_id is None:
        return None
    if result.flip_flop:
        store.add_change(
            result.document_id,
            result.previous_version_id,
            result.version_id,
            changes=(),
            flip_flop=True,
        )
        return None
    vdiff = diff_versions(store.section_tree(result.previous_version_id), p.tree)
    store.add_change(
        result.document_id, result.previous_version_id, result.version_id, changes=vdiff.changes
    )
    return vdiff


def document_alerts(
    rules: IngestRules,
    p: PreparedDocument,
    result: VersionResult,
    vdiff: VersionDiff | None,
    *,
    level: str | None,
    source_name: str,
    baseline: bool,
    attached: bool = False,
) -> list[Alert]:
    """New-document, new-version and watchlist alerts for a stored document.

    ``baseline`` is a source's first run: its existing documents are recorded without a
    new-document or topic alert each (one summary alert per source is raised instead).
    An ``attached`` document (an attachment of a page) has no new-document alert of its own:
    the page's alert lists it."""
    alerts: list[Alert] = []
    changed_text = p.text
    if result.status == "new_document":
        if p.doc.origin != "import" and not baseline and not attached:
            alerts.append(
                alert_rules.alert_new_document(
                    p.title,
                    p.doc.url,
                    source_name,
                    level or "",
                    p.doc.meta,
                    result.document_id,
                    attachments=[a.name for a in p.doc.attachments],
                )
            )
    elif vdiff is not None:
        if alert_rules.should_alert_version(vdiff, result.flip_flop):
            alerts.append(
                alert_rules.alert_new_version(
                    p.title, p.doc.url, vdiff, result.document_id, result.version_id
                )
            )
        changed_text = "\n".join(
            "".join(op.text for op in c.ops if op.op != "delete") for c in vdiff.changes
        )
    elif result.flip_flop:
        return alerts
    hits = [] if baseline else topic_hits(rules.topics, changed_text)
    if hits:  # one alert per document naming every topic it hits, not one per topic
        names = "、".join(t.name for t, _ in hits)
        sentences = list(dict.fromkeys(s for _, found in hits for s in found))[:5]
        alerts.append(
            alert_rules.alert_topic(
                names, p.title, p.doc.url, sentences, result.document_id, result.version_id
            )
        )
    return alerts


def ingest_document(
    store: Store,
    rules: IngestRules,
    doc: DocumentInput,
    *,
    level: str | None = None,
    source_id: str | None = None,
    source_name: str = LOCAL_SOURCE_NAME,
    baseline: bool = False,
    attachment_of: int | None = None,
) -> tuple[VersionResult, int]:
    """Normalise, structure and store one document with everything it causes, atomically.
    ``attachment_of`` stores it as an attachment of that page. Returns the store's verdict
    and how many alerts were raised."""
    p = prepare(doc, media=level == "media")
    if p.kind == identity.NEWS_KIND:
        level = "media"  # a report about 青海 on the ministry's site is news, not 部委 policy
    with store.transaction():
        result = record_version(
            store, p, level=level, source_id=source_id, attachment_of=attachment_of
        )
        if result.status == "unchanged":
            return result, 0
        vdiff = record_change(store, p, result)
        alerts = document_alerts(
            rules,
            p,
            result,
            vdiff,
            level=level,
            source_name=source_name,
            baseline=baseline,
            attached=attachment_of is not None,
        )
        alerts.extend(link_and_compare(store, rules, result, p.title, level))
        raised = sum(1 for a in alerts if raise_alert(store, rules.channels, a))
    return result, raised


def raise_alert(
    store: Store, channels: Callable[[Alert], list[tuple[str, str]]], alert: Alert
) -> bool:
    """Store ``alert`` with a pending delivery per channel it reaches; False when an alert with
    the same dedupe key already exists."""
    return store.add_alert(alert, channels(alert)) is not None


# ----------------------------------------------------------------------------- lineage


def _is_policy(title: str, level: str | None) -> bool:
    """Lineage is between policy documents: not news sites' reports, not interpretations."""
    return level != "media" and not identity.is_commentary(title)


def link_and_compare(
    store: Store, rules: IngestRules, result: VersionResult, title: str, level: str | None
) -> list[Alert]:
    """Record lineage links for a stored document and compare it with any parent we hold (and
    any stored child that cited it before we had it)."""
    _index_titles(store)
    if not _is_policy(title, level):
        return []
    found = _parents(store, rules.pairs, result, title)
    for parent_id, link in found:
        store.add_link(
            result.document_id,
            relation=link.relation,
            cited_title=link.cited_title,
            evidence=link.evidence,
            parent_id=parent_id,
            doc_number=link.doc_number,
        )
    # Documents that cited this one before we had it: resolve those links now.
    children: list[int] = []
    key = lineage.cited_key(title)
    for row in store.unresolved_links_naming(key, lineage.MIN_CONTAINED) if key else []:
        if lineage.match_cited(row.cited_title, [(result.document_id, title)]) is not None:
            store.add_link(
                row.child_id,
                relation=row.relation,
                cited_title=row.cited_title,
                evidence=row.evidence,
                parent_id=result.document_id,
            )
            children.append(row.child_id)
    _index_titles(store)  # the links just added
    pairs = [
        (result.document_id, pid) for pid in dict.fromkeys(p for p, _ in found if p is not None)
    ]
    pairs += [(child, result.document_id) for child in children]
    alerts = [_compare_pair(store, new_id, old_id) for new_id, old_id in pairs]
    return [a for a in alerts if a is not None]


def _index_titles(store: Store) -> None:
    """Key the documents and unresolved links the title index lacks (new ones, changed titles,
    or all of them when the keying changed)."""
    documents, links = store.titles_to_key(lineage.KEYER)
    if documents or links:
        store.save_title_keys(
            [(doc_id, t, *lineage.title_keys(t)) for doc_id, t in documents],
            [(link_id, lineage.cited_key(t)) for link_id, t in links],
        )


def _candidates(
    store: Store,
    document_id: int,
    title: str,
    citations: Sequence[LineageLink],
    pairs: Sequence[Pair],
) -> list[tuple[int, str]]:
    """The stored policy documents lineage could pick for this one, from the title index: the
    titles its citations name (equal, or containing a long enough cited title), its series,
    and the parents configured for it. Every candidate the matchers would choose among is in
    it, in id order, so they choose as they would among all stored titles."""
    keys = [k for link in citations if (k := lineage.cited_key(link.cited_title))]
    containing = [k for k in keys if len(k) >= lineage.MIN_CONTAINED]
    tkey = identity.title_key(title)
    containing += [
        pkey
        for pair in pairs
        if identity.title_key(pair.child) in tkey and (pkey := identity.title_key(pair.parent))
    ]
    series = lineage.title_keys(title)[1]
    return [
        (doc_id, t)
        for doc_id, t, lv in store.titled_candidates(keys, containing, series or None)
        if doc_id != document_id and _is_policy(t, lv)
    ]


def _parents(
    store: Store, pairs: Sequence[Pair], result: VersionResult, title: str
) -> list[tuple[int | None, LineageLink]]:
    found: list[tuple[int | None, LineageLink]] = []
    text = store.latest_version_text(result.document_id)[1]
    citations = lineage.find_citations(text)
    candidates = _candidates(store, result.document_id, title, citations, pairs)
    for link in citations:
        found.append((lineage.match_cited(link.cited_title, candidates), link))
    pred = lineage.find_predecessor(title, candidates)
    if pred is not None:
        found.append(pred)
    configured = lineage.configured_parent(title, pairs, candidates)
    if configured is not None:
        found.append(configured)
    return found


def _compare_pair(store: Store, new_id: int, old_id: int) -> Alert | None:
    new_doc, old_doc = store.document(new_id), store.document(old_id)
    if (
        not new_doc
        or not old_doc
        or not new_doc.current_version_id
        or not old_doc.current_version_id
    ):
        return None
    new_v, old_v = (
        store.version(new_doc.current_version_id),
        store.version(old_doc.current_version_id),
    )
    if new_v is None or old_v is None:
        return None
    comparison = compare(
        store.section_tree(old_v.id),
        store.section_tree(new_v.id),
        old_title=old_v.title,
        new_title=new_v.title,
    )
    _, created = store.add_comparison(
        new_document_id=new_id,
        old_document_id=old_id,
        new_version_id=new_v.id,
        old_version_id=old_v.id,
        comparison=comparison,
    )
    if not created:
        return None
    return alert_rules.alert_comparison(
        new_v.title, old_v.title, comparison, new_id, old_id, new_v.id, old_v.id
    )
