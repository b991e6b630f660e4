"""The internal bulletin (seed 000) as ranking input, shared by tests/test_directions.py and
bench/bench_directions.py. The bulletin is read from ../shared at run time and never copied into
the repository (it is marked 请勿翻印)."""

from __future__ import annotations

import re

from watcher.analysis.directions import DirectionInput

#: The bulletin's 本期推荐研究方向, each with the term that identifies it in a ranking.
EDITORS_CHOICES: tuple[tuple[str, str], ...] = (
    ("就业促进机制研究", "就业促进"),
    ("低空经济研究", "低空经济"),
    ("新一代 AI 模型研究", "新一代人工智能"),
)


_DOC_HEADING = re.compile(r"^(?:#+\s*)?(?:\*\*)?\s*[一二三四五六七八九十]+、\s*(.*)$", re.M)
_DATE = re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*[，,]?\s*")


def bulletin_items(text: str) -> list[DirectionInput]:
    """The bulletin's document sections (「一、<date>，<title>」 … up to 推荐研究方向)."""
    from watcher.text.structure import parse

    heads = [m for m in _DOC_HEADING.finditer(text) if _DATE.match(m.group(1))]
    end = [m for m in _DOC_HEADING.finditer(text) if "推荐研究方向" in m.group(1)][-1]
    items = []
    for m, nxt in zip(heads, [*heads[1:], end], strict=True):
        title = re.sub(
            r"[*：:]|[，,](?:指出|提出|发展重点).*$", "", _DATE.sub("", m.group(1))
        ).strip()
        body = re.sub(r"\*\*|^#+\s*", "", text[m.end() : nxt.start()], flags=re.M)
        # PDF wraps: a line that does not end a sentence continues on the next line
        body = re.sub(
            r"(?<![。！？：；）)])\s*\n\s*\n?(?=[^\n（(一二三四五六七八九十【#])", "", body
        )
        level = (
            "national"
            if "国务院" in title
            else "ministry"
            if title.startswith("教育部")
            else "municipal"
        )
        items.append(
            DirectionInput.from_tree(parse(body, title), title=title, level=level, source_id=title)
        )
    return items


def history_documents(text: str) -> list[str]:
    try:
        from watcher.ingest.compilation import split_compilation
    except ImportError:
        return [p for p in re.split(r"（来源：[^）]*）", text) if p.strip()]
    return [d.text for d in split_compilation(text)]
