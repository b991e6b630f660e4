"""Benchmark: the SQLite store's size per version, write throughput and Chinese full-text search.

Builds a synthetic but realistic corpus from the public plan texts in ``tests/fixtures/text``:
each document is 10–30 KB of policy paragraphs (a random selection, so documents differ) wrapped
in a ~10 KB government-site page shell (navigation, metadata table, footer); each later version
is the previous one with one to three small edits (a changed figure, an inserted clause, a
deleted sentence), as real revisions look. Every version goes through the real ``Store``:
``put_blob`` (raw HTML, zlib-compressed, addressed by its sha256) and ``save_version`` (text,
outline JSON, metadata, FTS5 trigram index), then it measures:

  1. bytes per version in the SQLite file vs the same store keeping raw HTML uncompressed,
     with a per-table breakdown (``dbstat``);
  2. versions/s with one transaction per document version (what the pipeline does: a crash
     loses at most that document) vs one giant transaction for everything;
  3. search latency for Chinese queries over the documents: FTS5 trigram ``MATCH`` (a
     contentless index) vs ``LIKE`` over the compressed current versions (what the store
     falls back to for 1–2 character queries).

    python bench/bench_store.py [--short] [--documents N] [--versions V]

Full mode: 1,000 documents × 3 versions; ``--short``: 30 × 2 (a few seconds).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from watcher.analysis.diff import text_fingerprint  # noqa: E402
from watcher.store import Store  # noqa: E402
from watcher.text.normalize import normalize  # noqa: E402
from watcher.text.structure import parse, to_outline_json  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "text"
SEED = 20241231
#: Chinese queries: common policy phrases, a rarer one and one absent from the corpus (the worst
#: case for LIKE, which must read every row to say "nothing").
QUERIES = (
    "职业教育",
    "产教融合",
    "人工智能",
    "高质量教育体系",
    "卓越工程师",
    "职普融通",
    "量子计算机",
)
MB = 1024 * 1024

SHELL_HEAD = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}_重庆市人民政府网</title>
<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="{date}">
<meta name="ContentSource" content="重庆市教育委员会"><meta name="keywords" content="教育,规划,通知">
<link rel="stylesheet" href="/images/common.css"><script src="/js/jquery-1.12.4.min.js"></script>
</head><body><div class="header"><div class="logo"><img src="/images/logo.png" alt="重庆市人民政府"></div>
<ul class="nav">{nav}</ul></div>
<div class="crumbs">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="/zwgk/zfxxgkml/">政府信息公开目录</a></div>
<table class="zwxl-table"><tr><td>索引号：</td><td>11500000MB1524601C/{index}</td><td>发布机构：</td><td>重庆市教育委员会</td></tr>
<tr><td>发文字号：</td><td>渝教发〔2025〕{number}号</td><td>成文日期：</td><td>{date}</td></tr>
<tr><td>标题：</td><td colspan="3">{title}</td></tr></table>
<div class="article"><h1>{title}</h1><div class="info">发布时间：{date} 浏览次数：<span id="visits">{visits}</span></div>
<div class="TRS_Editor">
"""
SHELL_TAIL = """</div></div>
<div class="related"><h3>相关文件</h3><ul>{related}</ul></div>
<div class="footer"><p>主办：重庆市人民政府办公厅　承办：重庆市大数据应用发展管理局</p>
<p>版权所有：重庆市人民政府网　网站标识码：5000000095　渝ICP备05003300号　渝公网安备 50010302000001号</p>
<script>var _hmt = _hmt || [];(function(){{var hm = document.createElement("script");hm.src = "https://hm.example/hm.js?0f";var s = document.getElementsByTagName("script")[0];s.parentNode.insertBefore(hm, s);}})();</script>
</div></body></html>
"""
NAV_ITEMS = (
    "首页",
    "要闻动态",
    "政务公开",
    "政策文件",
    "政策解读",
    "办事服务",
    "互动交流",
    "数据发布",
    "专题专栏",
    "重庆概况",
    "市长信箱",
    "在线访谈",
    "政府公报",
    "统计信息",
    "人事信息",
)


@dataclass
class Version:
    url: str
    title: str
    text: str
    html: bytes
    outline: str


def paragraphs() -> list[str]:
    """Normalised paragraphs (one per line) of the public plan texts in the fixtures."""
    paras: list[str] = []
    for name in ("national_gangyao.txt", "cq_guihua.txt"):
        text = normalize((FIXTURES / name).read_text(encoding="utf-8"))
        paras += [p for p in text.split("\n") if len(p) >= 20]
    return paras


def _edit(text: str, rng: random.Random) -> str:
    """One small revision: change a figure, insert a clause or drop a sentence."""
    kind = rng.randrange(3)
    if kind == 0 and (nums := list(re.finditer(r"\d+", text))):
        m = rng.choice(nums)
        return text[: m.start()] + str(int(m.group()) + rng.randint(1, 9)) + text[m.end() :]
    sentences = [m.end() for m in re.finditer("。", text)]
    if not sentences:
        return text + "（修订）"
    at = rng.choice(sentences)
    if kind == 1:
        clause = rng.choice(
            (
                "加强督导检查，确保各项任务落地见效。",
                "探索建立动态调整机制。",
                "鼓励有条件的区县先行先试。",
                "完善经费保障和考核评价办法。",
            )
        )
        return text[:at] + clause + text[at:]
    start = text.rfind("。", 0, at - 1) + 1
    return text[:start] + text[at:]


def _html(title: str, text: str, i: int, visits: int) -> bytes:
    date = f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}"
    nav = "".join(
        f'<li><a href="/{k}/" target="_blank">{name}</a></li>' for k, name in enumerate(NAV_ITEMS)
    )
    related = "".join(
        f'<li><a href="/zwgk/t2025{k:04d}.html">关于做好2025年第{k}批教育项目申报工作的通知</a></li>'
        for k in range(12)
    )
    body = "".join(
        f'<p style="text-indent: 2em; line-height: 1.8;">{p}</p>\n' for p in text.split("\n")
    )
    head = SHELL_HEAD.format(
        title=title, date=date, nav=nav, index=f"{i:05d}", number=i % 300, visits=visits
    )
    return (head + body + SHELL_TAIL.format(related=related)).encode("utf-8")


def corpus(documents: int, versions: int, seed: int = SEED) -> Iterator[list[Version]]:
    """Per document, its versions in order (deterministic for a given seed)."""
    rng = random.Random(seed)
    pool = paragraphs()
    for i in range(documents):
        target = rng.randint(10_000, 30_000)  # UTF-8 bytes of text (3 bytes per Chinese char)
        chosen: list[str] = []
        size = 0
        while size < target:
            p = rng.choice(pool)
            chosen.append(p)
            size += len(p.encode("utf-8")) + 1
        title = f"重庆市教育委员会关于印发《{rng.choice(pool)[:12]}实施方案》的通知（第{i}号）"
        text = "\n".join(chosen)
        outline = json.dumps(to_outline_json(parse(text, title)), ensure_ascii=False)
        url = f"https://jw.cq.gov.cn/zwgk/zfxxgkml/t2025_{i:05d}.html"
        out = []
        for v in range(versions):
            if v:
                for _ in range(rng.randint(1, 3)):
                    text = _edit(text, rng)
            out.append(
                Version(url, title, text, _html(title, text, i, rng.randint(100, 99999)), outline)
            )
        yield out


class RawBlobStore(Store):
    """The alternative: the same store keeping raw HTML bytes uncompressed."""

    def put_blob(self, data: bytes, content_type: str | None = None) -> str:
        import hashlib

        digest = hashlib.sha256(data).hexdigest()
        with self.transaction():
            self.conn.execute(
                "INSERT OR IGNORE INTO blobs(hash, size, content_type, data) VALUES (?, ?, ?, ?)",
                (digest, len(data), content_type, data),
            )
        return digest


class NoSearchStore(Store):
    """For the cost of the FTS index: the same store without it."""

    def _index(
        self, document_id: int, title: str, text: str, replaces: object | None = None
    ) -> None:
        return None


def _save(store: Store, v: Version) -> None:
    blob = store.put_blob(v.html, "text/html")
    store.save_version(
        url=v.url,
        identity_key=v.title,
        title=v.title,
        text=v.text,
        text_hash=text_fingerprint(v.text),
        meta={"issuer": "重庆市教育委员会"},
        source_id="bench",
        level="municipal",
        kind="通知",
        blob_hash=blob,
        encoding="utf-8",
    )


def load(
    path: Path,
    docs: list[list[Version]],
    *,
    store_cls: type[Store] = Store,
    one_transaction: bool = False,
) -> float:
    """Write every version into a new store at ``path``; returns seconds spent writing."""
    with store_cls.open(path) as store:
        order = [v for versions in zip(*docs, strict=True) for v in versions]  # cycle by cycle
        started = time.perf_counter()
        if one_transaction:
            with store.transaction():
                for v in order:
                    _save(store, v)
        else:
            for v in order:
                with store.transaction():  # as ingest_document: one document, one transaction
                    _save(store, v)
        seconds = time.perf_counter() - started
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return seconds


def table_bytes(path: Path) -> dict[str, int]:
    """Bytes per table (indexes and FTS shadow tables folded into their table) via dbstat."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
    finally:
        conn.close()
    groups: dict[str, int] = {}
    for name, size in rows:
        key = (
            "FTS copy of text"
            if name == "search_content"
            else "FTS trigram index"
            if name.startswith("search")
            else "blobs (raw HTML)"
            if "blobs" in name
            else "versions"
            if "versions" in name
            else "other"
        )
        groups[key] = groups.get(key, 0) + int(size)
    return groups


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def search_table(path: Path, repeat: int) -> list[tuple[str, int, float, float, float, float, int]]:
    """Per query: hits, ``Store.search`` all hits and top 50 (the trigram index keeps no
    positions, candidates are checked against the text), the alternative of a positional
    (``detail=full``) contentless index answering the phrase itself, and a LIKE scan (what
    the store does below three characters); plus the positional index's size."""
    like_sql = (
        "SELECT d.id FROM documents d JOIN versions v ON v.id = d.current_version_id "
        "WHERE v.title LIKE ? OR watcher_unpack(v.text) LIKE ?"
    )
    full_sql = "SELECT rowid FROM search_full WHERE search_full MATCH ? ORDER BY rank LIMIT 50"
    store = Store.open(path)
    conn = store.conn
    conn.execute(
        "CREATE VIRTUAL TABLE search_full USING fts5(title, text, content = '', "
        "tokenize = 'trigram')"
    )
    conn.execute(
        "INSERT INTO search_full(rowid, title, text) SELECT d.id, v.title, watcher_unpack(v.text) "
        "FROM documents d JOIN versions v ON v.id = d.current_version_id"
    )
    conn.execute("INSERT INTO search_full(search_full) VALUES ('optimize')")
    full_bytes = int(
        conn.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'search_full%'").fetchone()[0]
    )

    def run(sql: str, params: tuple[str, ...]) -> Callable[[], object]:
        return lambda: conn.execute(sql, params).fetchall()

    rows = []
    try:
        for q in QUERIES:
            like_args = (f"%{q}%", f"%{q}%")
            hits = len(store.search(q, limit=10**9))
            like_hits = len(conn.execute(like_sql, like_args).fetchall())
            assert hits == like_hits, (q, hits, like_hits)  # same answer, or the race is unfair
            rows.append(
                (
                    q,
                    hits,
                    _median_ms(lambda q=q: store.search(q, limit=10**9), repeat),
                    _median_ms(lambda q=q: store.search(q), repeat),
                    _median_ms(run(full_sql, ('"' + q + '"',)), repeat),
                    _median_ms(run(like_sql, like_args), repeat),
                    full_bytes,
                )
            )
    finally:
        store.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--short", action="store_true", help="30 documents × 2 versions")
    ap.add_argument("--documents", type=int, help="documents (default 1000; --short 30)")
    ap.add_argument("--versions", type=int, help="versions per document (default 3; --short 2)")
    args = ap.parse_args()
    n_docs = args.documents or (30 if args.short else 1000)
    n_versions = args.versions or (2 if args.short else 3)
    docs = list(corpus(n_docs, n_versions))
    n = n_docs * n_versions
    text_bytes = sum(len(v.text.encode("utf-8")) for d in docs for v in d)
    html_bytes = sum(len(v.html) for d in docs for v in d)
    zipped = sum(len(zlib.compress(v.html, 6)) for d in docs for v in d)
    text_zipped = sum(len(zlib.compress(v.text.encode("utf-8"), 6)) for d in docs for v in d)
    print(
        f"{n_docs:,} documents × {n_versions} versions = {n:,} versions; text "
        f"{text_bytes / n / 1024:.1f} KB/version (zlib: {text_zipped / n / 1024:.1f} KB), raw HTML {html_bytes / n / 1024:.1f} KB/version "
        f"(zlib level 6: {zipped / n / 1024:.1f} KB)"
    )
    print()
    with tempfile.TemporaryDirectory() as tmp:
        ours, raw, giant = (Path(tmp) / f"{k}.db" for k in ("ours", "raw", "giant"))
        t_ours = load(ours, docs)
        t_raw = load(raw, docs, store_cls=RawBlobStore)
        t_giant = load(giant, docs, one_transaction=True)
        t_nofts = load(Path(tmp) / "nofts.db", docs, store_cls=NoSearchStore)

        print("1. store size")
        header = f"{'store':<32} {'file MB':>8} {'KB/version':>10} {'MB/1,000 versions':>18}"
        print(header)
        print("-" * len(header))
        sizes = {}
        for label, path in (
            ("ours (zlib blobs, sha256-keyed)", ours),
            ("raw HTML uncompressed", raw),
        ):
            sizes[label] = path.stat().st_size
            print(
                f"{label:<32} {sizes[label] / MB:>8.2f} {sizes[label] / n / 1024:>10.1f} "
                f"{sizes[label] / n * 1000 / MB:>18.2f}"
            )
        print(
            f"ratio uncompressed / ours: {sizes['raw HTML uncompressed'] / sizes['ours (zlib blobs, sha256-keyed)']:.2f}×"
        )
        print(
            "where the bytes go (ours):",
            ", ".join(
                f"{k} {v / n / 1024:.1f} KB/version ({v / sizes['ours (zlib blobs, sha256-keyed)']:.0%})"
                for k, v in sorted(table_bytes(ours).items(), key=lambda kv: -kv[1])
            ),
        )
        # FTS5 keeps a deleted row's postings until segments merge; 'optimize' merges them all.
        with sqlite3.connect(ours) as conn:
            conn.execute("INSERT INTO search(search) VALUES ('optimize')")
        conn.close()
        with sqlite3.connect(ours) as conn:
            conn.execute("VACUUM")
        conn.close()
        optimized = ours.stat().st_size
        print(
            f"after FTS 'optimize' + VACUUM: {optimized / MB:.2f} MB, {optimized / n / 1024:.1f} KB/version "
            f"({sizes['ours (zlib blobs, sha256-keyed)'] / optimized:.2f}× smaller); FTS index now "
            f"{table_bytes(ours).get('FTS trigram index', 0) / n_docs / 1024:.1f} KB per indexed document"
        )
        print()

        print("2. write throughput (put_blob + save_version + FTS, WAL, synchronous=NORMAL)")
        header = f"{'transactions':<32} {'seconds':>8} {'versions/s':>10}"
        print(header)
        print("-" * len(header))
        print(f"{'one per version (pipeline)':<32} {t_ours:>8.2f} {n / t_ours:>10.0f}")
        print(f"{'one for all versions':<32} {t_giant:>8.2f} {n / t_giant:>10.0f}")
        print(f"{'per version, raw blobs':<32} {t_raw:>8.2f} {n / t_raw:>10.0f}")
        print(f"{'per version, no FTS index':<32} {t_nofts:>8.2f} {n / t_nofts:>10.0f}")
        print(f"ratio one-giant / per-version: {t_ours / t_giant:.2f}× the throughput")
        print()

        print(f"3. search over {n_docs:,} documents (current versions; median of repeats, ms)")
        header = (
            f"{'query':<20} {'hits':>5} | {'ours all':>8} {'ours top50':>10} | "
            f"{'positional top50':>16} | {'LIKE':>8} | {'LIKE/ours':>9}"
        )
        print(header)
        print("-" * len(header))
        index_bytes = table_bytes(ours).get("FTS trigram index", 0)
        results = search_table(ours, repeat=3 if args.short else 7)
        for q, hits, fts, ranked, full, like, _ in results:
            print(
                f"{q:<{20 - len(q)}} {hits:>5} | {fts:>8.2f} {ranked:>10.2f} | {full:>16.2f} | "
                f"{like:>8.2f} | {like / fts:>8.0f}×"
            )
        geo = statistics.geometric_mean([r[5] / r[2] for r in results])
        geo_full = statistics.geometric_mean([r[3] / r[4] for r in results])
        print(
            f"geometric mean LIKE / ours: {geo:.0f}×; ours top50 / positional top50: {geo_full:.1f}×"
        )
        print(
            f"index size: ours (no positions) {index_bytes / n_docs / 1024:.1f} KB per document, "
            f"positional {results[0][6] / n_docs / 1024:.1f} KB per document "
            f"({results[0][6] / max(index_bytes, 1):.1f}×)"
        )


if __name__ == "__main__":
    main()
