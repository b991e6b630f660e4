"""Benchmark main-text extraction: watcher.extract vs trafilatura vs readability-lxml.

Prints precision/recall/F1 (metric of ../shared/extract-dev/README.md, implemented in
tests/support/metric.py) on the extract-dev set, on tests/fixtures/pages (the templates we
built from notes and saved samples) and on tests/fixtures/pages/wild (real-shaped pages of
templates seen in the wild, one of them GBK; the names in wild/held_out.txt, kept out of tuning,
as a set of their own), metadata accuracy per field on each fixture set,
and pages/s on a ~30 KB and a ~300 KB page. Pages are read as bytes, as the fetcher hands them
over: every extractor decodes them itself.

    python bench/bench_extract.py [--short]

``--short`` uses a few dev pages and fewer timing rounds, and finishes in a few seconds.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import lxml.html  # noqa: E402
import trafilatura  # noqa: E402
from readability import Document  # noqa: E402

from tests.support.metric import SetScore, score_page, score_set  # noqa: E402
from watcher.ingest.extract import extract  # noqa: E402
from watcher.models import META_KEYS  # noqa: E402

EXTRACT_DEV = REPO.parent / "shared" / "extract-dev" / "cwced-dev"
FIXTURES = REPO / "tests" / "fixtures" / "pages"
WILD = FIXTURES / "wild"
HELD_OUT = WILD / "held_out.txt"

Page = str | bytes
Extractor = Callable[[Page], str]


def watcher_text(html: Page) -> str:
    return extract(html).text


def trafilatura_text(html: Page) -> str:
    return trafilatura.extract(html, include_comments=False) or ""


def readability_text(html: Page) -> str:
    summary = Document(html).summary(html_partial=True)
    if not summary.strip():
        return ""
    text: str = lxml.html.fromstring(summary).text_content()
    return text


EXTRACTORS: dict[str, Extractor] = {
    "watcher": watcher_text,
    "trafilatura": trafilatura_text,
    "readability": readability_text,
}


def dev_pages(limit: int | None) -> list[tuple[str, str]]:
    if not EXTRACT_DEV.is_dir():
        return []
    truth = json.loads((EXTRACT_DEV / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)[:limit] if limit else sorted(truth)
    return [
        (
            gzip.decompress((EXTRACT_DEV / "html" / f"{i}.html.gz").read_bytes()).decode("utf-8"),
            truth[i]["articleBody"],
        )
        for i in ids
    ]


def fixture_pages(folder: Path) -> list[tuple[Path, dict[str, object]]]:
    """Pages with gold under ``folder``, not descending into ``wild/`` (its own set)."""
    out = []
    for gold_path in sorted(folder.rglob("*.json")):
        if folder != WILD and WILD in gold_path.parents:
            continue
        out.append(
            (gold_path.with_suffix(".html"), json.loads(gold_path.read_text(encoding="utf-8")))
        )
    return out


def held_out_names() -> set[str]:
    """Wild fixtures kept out of tuning (``wild/held_out.txt``, one name a line, # comments)."""
    lines = HELD_OUT.read_text(encoding="utf-8").splitlines() if HELD_OUT.is_file() else []
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def fixture_sets() -> list[tuple[str, list[tuple[Path, dict[str, object]]]]]:
    """Template fixtures, wild pages tuned on, wild pages held out."""
    held = held_out_names()
    wild = fixture_pages(WILD)
    return [
        ("fixture pages", fixture_pages(FIXTURES)),
        ("wild pages, tuned on", [(p, g) for p, g in wild if p.stem not in held]),
        ("wild pages, held out", [(p, g) for p, g in wild if p.stem in held]),
    ]


def quality(pages: list[tuple[Page, str]]) -> dict[str, tuple[SetScore, float]]:
    results: dict[str, tuple[SetScore, float]] = {}
    for name, fn in EXTRACTORS.items():
        start = time.perf_counter()
        scores = [score_page(fn(html), gold) for html, gold in pages]
        elapsed = time.perf_counter() - start
        results[name] = (score_set(scores), len(pages) / elapsed if elapsed else 0.0)
    return results


def print_quality(title: str, results: dict[str, tuple[SetScore, float]]) -> None:
    print(f"\n{title}")
    print(f"  {'extractor':<12} {'P':>6} {'R':>6} {'F1':>6} {'pages/s':>8}")
    for name, (s, rate) in results.items():
        print(f"  {name:<12} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} {rate:8.1f}")


def metadata_accuracy(name: str, pages: list[tuple[Path, dict[str, object]]]) -> None:
    print(f"\nmetadata accuracy on {name} (pages where gold or output has the field; title,")
    print("  exact text and attachment list: every page)")
    counts = {k: [0, 0] for k in (*META_KEYS, "title", "text exact", "attachments")}
    for html_path, gold in pages:
        article = extract(html_path.read_bytes(), str(gold["url"]))
        gold_meta = gold["meta"]
        assert isinstance(gold_meta, dict)
        for key in META_KEYS:
            if key in gold_meta or key in article.meta:
                counts[key][1] += 1
                counts[key][0] += gold_meta.get(key) == article.meta.get(key)
        found = [{"url": a.url, "name": a.name, "ext": a.ext} for a in article.attachments]
        for key, same in (
            ("title", gold["title"] == article.title),
            ("text exact", gold.get("text", "") == article.text),
            ("attachments", gold.get("attachments", []) == found),
        ):
            counts[key][1] += 1
            counts[key][0] += same
    for key, (ok, total) in counts.items():
        share = f"{ok / total:.3f}" if total else "  n/a"
        print(f"  {key:<15} {ok:>3}/{total:<3} {share}")


def _big_page(target: int) -> str:
    """A district TRS page whose body is repeated up to about ``target`` bytes."""
    page = (FIXTURES / "cqyz_district.html").read_text(encoding="utf-8")
    start = page.index('<div class="trs_editor_view')
    end = page.index("</div></div></div>", start)
    body = page[start:end]
    inner = body[body.index(">") + 1 :]
    reps = max(1, round((target - len(page.encode())) / max(len(inner.encode()), 1)))
    return page[:end] + inner * reps + page[end:]


def _untemplated(html: str) -> str:
    """The same page with its CMS class names renamed, so it takes the generic fallback path."""
    for name in ("zwxl-", "trs_", "TRS_"):
        html = html.replace(name, "x-")
    return html


def speed(rounds: int) -> None:
    print("\nspeed (pages/s, single process)")
    small, large = _big_page(30_000), _big_page(300_000)
    pages = {
        "~30 KB template": small,
        "~300 KB template": large,
        "~30 KB fallback": _untemplated(small),
        "~300 KB fallback": _untemplated(large),
    }
    for label, html in pages.items():
        row = [f"  {label:<17} ({len(html.encode()) // 1024:>3} KB)"]
        for name in ("watcher", "trafilatura"):
            fn = EXTRACTORS[name]
            fn(html)  # warm-up (imports, caches)
            start = time.perf_counter()
            for _ in range(rounds):
                fn(html)
            row.append(f"{name} {rounds / (time.perf_counter() - start):7.1f}")
        print("   ".join(row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="a few pages, a few seconds")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # trafilatura logs every page it discards

    dev = dev_pages(8 if args.short else None)
    if dev:
        print_quality(f"extract-dev ({len(dev)} pages)", quality(dev))
    else:
        print("\nextract-dev: ../shared/extract-dev is absent; skipped")
    for name, fixtures in fixture_sets():
        with_text: list[tuple[Page, str]] = [
            (p.read_bytes(), str(g["text"])) for p, g in fixtures if g.get("text")
        ]
        print_quality(f"{name} ({len(with_text)} pages with gold text)", quality(with_text))
        metadata_accuracy(name, fixtures)
    speed(3 if args.short else 20)


if __name__ == "__main__":
    main()
