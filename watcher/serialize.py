"""JSON forms of the values in ``models``: what the store keeps in its JSON columns and what the
CLI prints with ``--json``. Each ``*_to_json`` has a ``*_from_json`` that gives the same value
back, so no consumer ever parses a stored column itself.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from watcher.models import (
    Comparison,
    DroppedSection,
    Evidence,
    InlineOp,
    SectionChange,
    SectionMatch,
    Segmentation,
    Target,
    TargetPair,
)

__all__ = [
    "changes_from_json",
    "changes_to_json",
    "comparison_from_json",
    "comparison_to_json",
    "evidence_from_json",
    "evidence_to_json",
    "segmentation_from_bytes",
    "segmentation_to_bytes",
]


def _ops_to_json(ops: Sequence[InlineOp]) -> list[dict[str, str]]:
    return [{"op": o.op, "text": o.text} for o in ops]


def _ops_from_json(data: Sequence[Mapping[str, Any]]) -> tuple[InlineOp, ...]:
    return tuple(InlineOp(op=o["op"], text=o["text"]) for o in data)


def _target_from_json(data: Mapping[str, Any] | None) -> Target | None:
    return None if data is None else Target(**data)


def comparison_to_json(c: Comparison) -> dict[str, Any]:
    """The comparison as the JSON the CLI prints and the store keeps."""
    return {
        "old": {"title": c.old_title},
        "new": {"title": c.new_title},
        "sections": [
            {
                "new_id": m.new_id,
                "new_heading": m.new_heading,
                "old_ids": list(m.old_ids),
                "old_headings": list(m.old_headings),
                "status": m.status,
                "similarity": m.similarity,
                "diff": _ops_to_json(m.diff),
            }
            for m in c.sections
        ],
        "dropped": [{"old_id": d.old_id, "old_heading": d.old_heading} for d in c.dropped],
        "targets": [
            {
                "old": None if p.old is None else asdict(p.old),
                "new": None if p.new is None else asdict(p.new),
            }
            for p in c.targets
        ],
        "summary": dict(c.summary),
    }


def comparison_from_json(data: Mapping[str, Any]) -> Comparison:
    return Comparison(
        old_title=str(data["old"]["title"]),
        new_title=str(data["new"]["title"]),
        sections=tuple(
            SectionMatch(
                new_id=s["new_id"],
                new_heading=s["new_heading"],
                old_ids=tuple(s["old_ids"]),
                old_headings=tuple(s["old_headings"]),
                status=s["status"],
                similarity=float(s["similarity"]),
                diff=_ops_from_json(s.get("diff", ())),
            )
            for s in data["sections"]
        ),
        dropped=tuple(DroppedSection(d["old_id"], d["old_heading"]) for d in data["dropped"]),
        targets=tuple(
            TargetPair(_target_from_json(t["old"]), _target_from_json(t["new"]))
            for t in data["targets"]
        ),
        summary=dict(data["summary"]),
    )


def changes_to_json(changes: Sequence[SectionChange]) -> list[dict[str, Any]]:
    return [
        {
            "kind": c.kind,
            "old_id": c.old_id,
            "new_id": c.new_id,
            "heading": c.heading,
            "ops": _ops_to_json(c.ops),
            "revision": c.revision,
            "old_ids": list(c.old_ids),
            "new_ids": list(c.new_ids),
        }
        for c in changes
    ]


def changes_from_json(data: Sequence[Mapping[str, Any]]) -> tuple[SectionChange, ...]:
    return tuple(
        SectionChange(
            kind=c["kind"],
            old_id=c["old_id"],
            new_id=c["new_id"],
            heading=c["heading"],
            ops=_ops_from_json(c.get("ops", ())),
            # rows stored before the revision alignment have none of these
            revision=c.get("revision", ""),
            old_ids=tuple(c.get("old_ids", ())),
            new_ids=tuple(c.get("new_ids", ())),
        )
        for c in data
    )


def evidence_to_json(evidence: Sequence[Evidence]) -> list[dict[str, Any]]:
    return [asdict(e) for e in evidence]


def evidence_from_json(data: Sequence[Mapping[str, Any]]) -> tuple[Evidence, ...]:
    return tuple(Evidence(**e) for e in data)


# --------------------------------------------------------------------------- segmentations


def _varints(numbers: Iterator[int]) -> bytes:
    """Unsigned LEB128: word lengths are mostly 1–4, so one byte each."""
    out = bytearray()
    for n in numbers:
        while n >= 0x80:
            out.append((n & 0x7F) | 0x80)
            n >>= 7
        out.append(n)
    return bytes(out)


def _read_varints(data: bytes) -> Iterator[int]:
    n = shift = 0
    for byte in data:
        n |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            continue
        yield n
        n = shift = 0


def segmentation_to_bytes(seg: Segmentation) -> bytes:
    """Word lengths of each sentence as compressed varints: the count of sentences, then for
    each sentence its count of words and their lengths (~1 KB per 5,000 characters of text)."""

    def numbers() -> Iterator[int]:
        yield len(seg.words)
        for unit in seg.words:
            yield len(unit)
            yield from unit

    return zlib.compress(_varints(numbers()), 6)


def segmentation_from_bytes(analyser: str, data: bytes) -> Segmentation:
    numbers = _read_varints(zlib.decompress(data))
    units = []
    for _ in range(next(numbers, 0)):
        count = next(numbers)
        units.append(tuple(next(numbers) for _ in range(count)))
    return Segmentation(analyser, tuple(units))
