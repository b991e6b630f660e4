"""Section tree of a Chinese official document (the ``structure`` stage).

Takes normalised text (one paragraph per line; raw PDF text with wraps also works, less well) and
returns the root :class:`~watcher.models.Section` of a tree built from the GB/T 9704 heading
markers 一、 /（一）/ 1. /（1）/ ①, the statute markers 第X编/章/节/条 and 附件 blocks. Ids are
paths of numbers as written (``五/（十三）``, ``第三章/第十二条``) so the same section keeps its
id across versions. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from watcher.models import Section
from watcher.text.numerals import parse_cn_numeral

__all__ = ["flatten", "iter_sections", "parse", "render_outline", "to_outline_json"]

# --------------------------------------------------------------------------- heuristics as data

_CN_NUM = "一二三四五六七八九十百零〇两"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳㉑㉒㉓㉔㉕㉖㉗㉘㉙㉚㉛㉜㉝㉞㉟㊱㊲㊳㊴㊵㊶㊷㊸㊹㊺㊻㊼㊽㊾㊿"
_PAREN_DIGITS = "⑴⑵⑶⑷⑸⑹⑺⑻⑼⑽⑾⑿⒀⒁⒂⒃⒄⒅⒆⒇"

#: Heading markers in rank order (smaller rank = higher in the tree). Each pattern must match at the
#: start of a stripped line; group "num" is the number as written, group "rest" what follows.
#: Ranks: attachment 0, 编 1, 章 2, 节 3, 条 4, 一、 5, （一） 6, 1. 7, （1） 8, ① 9.
_MARKERS: tuple[tuple[str, int, re.Pattern[str]], ...] = (
    (
        "attachment",
        0,
        re.compile(
            r"^(?P<num>附件\s?(?:\d{1,2}|[一二三四五六七八九十]{1,3})?)(?:\s*[：:]\s*|\s+|$)(?P<rest>.*)$"
        ),
    ),
    ("law", 1, re.compile(rf"^(?P<num>第[{_CN_NUM}\d]{{1,5}}编)(?:\s+|$)(?P<rest>.*)$")),
    ("law", 2, re.compile(rf"^(?P<num>第[{_CN_NUM}\d]{{1,5}}章)(?:\s+|$)(?P<rest>.*)$")),
    ("law", 3, re.compile(rf"^(?P<num>第[{_CN_NUM}\d]{{1,5}}节)(?:\s+|$)(?P<rest>.*)$")),
    ("article", 4, re.compile(rf"^(?P<num>第[{_CN_NUM}\d]{{1,5}}条)(?:\s*|$)(?P<rest>.*)$")),
    ("l1", 5, re.compile(rf"^(?P<num>[{_CN_NUM}]{{1,4}})、\s*(?P<rest>.*)$")),
    ("l2", 6, re.compile(rf"^(?P<num>[（(][{_CN_NUM}]{{1,4}}[）)])\s*(?P<rest>.*)$")),
    # 1. / 1． / 1、 but not 1.5 (decimals), 2024年 or 10%
    ("l3", 7, re.compile(r"^(?P<num>\d{1,3})(?:[.．](?!\d)|、)\s*(?P<rest>.*)$")),
    ("l4", 8, re.compile(rf"^(?P<num>[（(]\d{{1,3}}[）)]|[{_PAREN_DIGITS}])\s*(?P<rest>.*)$")),
    ("l5", 9, re.compile(rf"^(?P<num>[{_CIRCLED}])\s*(?P<rest>.*)$")),
)

#: Sentence terminators that end a GB/T-style run-in heading 「（一）健全…框架。把…」.
_TERMINATORS = "。！？"
#: Longest heading we accept when a terminator or line end closes it.
_HEADING_MAX = 60
#: L1 headings are short phrases; a longer L1 line (or one with 。) had its body glued on.
_L1_MAX = 40
#: How far into a glued L1 line an opening word of the body may start.
_GLUE_SEARCH = 40
#: Words that open the first body sentence after a heading. When a PDF wrap glued the heading to
#: the body (「一、总体要求坚持以…」), the split goes before the earliest of these that does not
#: follow punctuation. Multi-character phrases keep false splits inside headings rare.
_BODY_OPENERS: tuple[str, ...] = (
    "坚持",
    "到20",
    "到本世纪",
    "为深入",
    "为加快",
    "为全面",
    "为推动",
    "为进一步",
    "为贯彻",
    "为落实",
    "为实现",
    "为加强",
    "为建设",
    "以习近平",
    "以党的",
    "以推动",
    "以建设",
    "深入贯彻",
    "深入学习",
    "深入实施",
    "全面贯彻",
    "全面落实",
    "全面推进",
    "加快建设",
    "加快推进",
    "各级",
    "各地",
    "各区县",
    "各部门",
    "着眼",
    "立足",
    "围绕",
    "按照",
    "根据",
    "经过",
    "当前",
    "近年来",
    "党的",
    "聚焦",
    "锚定",
    "紧扣",
    "牢牢",
    "始终",
    "建设教育强",
    "贯彻落实",
    "认真贯彻",
    "高举",
    "习近平",
    "必须",
    "本规划",
    "本方案",
    "本办法",
    "本条例",
    "本纲要",
)
_PUNCT_BEFORE_OPENER = '，、；：。！？,;:（(“"《'
#: A line at most this long with none of these is a table cell or a caption, not prose.
_CELL_MAX = 15
_PROSE_PUNCT = re.compile(r"[。；，：！？,;]")
#: 「一、二年级」「三、四月」: a run of numbers, not an L1 heading.
_NUMBER_RUN = re.compile(rf"^[{_CN_NUM}]{{1,3}}(?:、|年级|至|到|和|或|个|次|月|周)")
_ATTACHMENT_LIST = re.compile(r"^\s*\d{1,2}\s*[.．、]")
#: 「第三十一条的决定》第一次修正」: a line that starts with a cross-reference (a wrapped citation
#: of another article), not with an article of its own.
_ARTICLE_REFERENCE = re.compile(r"^(?:的|、|，|,|和|及|或|与|至|》|〉|>|）|\)|规定)")

_NUM_CORE = re.compile(rf"[{_CN_NUM}]+|\d+")


def _number_value(kind: str, num: str) -> int | None:
    if kind == "l5":
        return _CIRCLED.index(num) + 1
    if num and num[0] in _PAREN_DIGITS:
        return _PAREN_DIGITS.index(num[0]) + 1
    m = _NUM_CORE.search(num.removeprefix("第"))
    return parse_cn_numeral(m.group()) if m else None


# --------------------------------------------------------------------------- heading split


def _split_heading(kind: str, rest: str) -> tuple[str, str]:
    """Split the text after a marker into (heading, body)."""
    rest = rest.strip()
    if kind == "article":
        return "", rest  # 第X条: the text is the article's body
    if kind in ("attachment", "law"):
        return rest, ""
    term = min((i for i in (rest.find(t) for t in _TERMINATORS) if i >= 0), default=-1)
    if kind == "l1":
        if term < 0 and len(rest) <= _L1_MAX:
            return rest, ""
        glued = _opener_split(rest)
        if glued is not None:
            return rest[:glued], rest[glued:]
        if 0 <= term <= _L1_MAX:
            return rest[:term], rest[term + 1 :]
        return rest, ""
    if 0 <= term <= _HEADING_MAX:
        return rest[:term], rest[term + 1 :]
    if term < 0 and len(rest) <= _HEADING_MAX:
        return rest, ""
    glued = _opener_split(rest)
    if glued is not None:
        return rest[:glued], rest[glued:]
    return "", rest  # an enumerated paragraph with no heading


def _opener_split(rest: str) -> int | None:
    """Index where a body sentence was glued onto a heading, or None."""
    best: int | None = None
    for word in _BODY_OPENERS:
        start = 2
        while True:
            i = rest.find(word, start, _GLUE_SEARCH + len(word))
            if i < 0:
                break
            if rest[i - 1] not in _PUNCT_BEFORE_OPENER and "。" not in rest[:i]:
                if best is None or i < best:
                    best = i
                break
            start = i + 1
    return best


# --------------------------------------------------------------------------- tree building


@dataclass
class _Node:
    kind: str
    rank: int
    number: str
    value: int | None
    heading: str
    wants_title: bool = False  # 「附件1」 alone: its title is the next line
    body: list[str] = field(default_factory=list)
    children: list[_Node] = field(default_factory=list)
    last_value: dict[int, int] = field(default_factory=dict)  # rank -> last child number


def _is_cell(line: str) -> bool:
    return len(line) <= _CELL_MAX and not _PROSE_PUNCT.search(line)


def _match_marker(line: str) -> tuple[str, int, str, str] | None:
    for kind, rank, pat in _MARKERS:
        m = pat.match(line)
        if m:
            return kind, rank, m.group("num").strip(), m.group("rest")
    return None


def _plausible(
    kind: str, rank: int, value: int | None, parent: _Node, global_last: dict[int, int]
) -> bool:
    """Does the number continue a sequence? Rejects 「三、」 after 「五、」 and stray 「7.」."""
    if kind in ("attachment", "law", "article") or value is None:
        return True
    prev_local = parent.last_value.get(rank)
    if value == 1:
        # a second 「1.」 under the same heading is a table or a quoted list, not a new level;
        # 一、 may restart (several documents in one compilation)
        return prev_local is None or rank <= 5
    prev_global = global_last.get(rank)
    if prev_local is None and prev_global is None and rank <= 6:
        return True  # an excerpt may start at （三）
    # tolerate one or two headings lost by extraction, never a step backwards
    return any(p is not None and p < value <= p + 3 for p in (prev_local, prev_global))


def parse(text: str, title: str = "") -> Section:
    """Parse ``text`` into a section tree; the root's heading is ``title``, its body the preamble."""
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    if title and lines and lines[0] == title.strip():
        lines = lines[1:]
    root = _Node("root", -1, "", None, title.strip())
    stack: list[_Node] = [root]
    global_last: dict[int, int] = {}
    for i, line in enumerate(lines):
        hit = _match_marker(line)
        node = _heading_node(hit, lines, i, stack, global_last)
        if node is None:
            top = stack[-1]
            if (
                top.wants_title
                and not top.body
                and len(line) <= _L1_MAX
                and not _PROSE_PUNCT.search(line.rstrip("。"))
            ):
                top.heading = line
            else:
                top.body.append(line)
            top.wants_title = False
            continue
        while stack[-1].rank >= node.rank:
            stack.pop()
        parent = stack[-1]
        parent.children.append(node)
        if node.value is not None:
            parent.last_value[node.rank] = node.value
            global_last[node.rank] = node.value
        if node.rank <= 4:
            # a new chapter or attachment restarts the numbering beneath it
            for r in [r for r in global_last if r > node.rank]:
                del global_last[r]
        stack.append(node)
    return _freeze(root, "", 0)


def _heading_node(
    hit: tuple[str, int, str, str] | None,
    lines: list[str],
    i: int,
    stack: list[_Node],
    global_last: dict[int, int],
) -> _Node | None:
    if hit is None:
        return None
    kind, rank, number, rest = hit
    if any(n.kind == "article" for n in stack) and rank > 4:
        return None  # items inside 第X条 stay in its body
    if not rest.strip() and kind not in ("attachment", "law"):
        return None  # a bare 「1.」 is a table cell
    if (kind in ("l1", "l2") and _NUMBER_RUN.match(rest)) or (
        kind == "article" and _ARTICLE_REFERENCE.match(rest)
    ):
        return None  # 「一、二年级」 is a run of numbers, 「第三十一条的决定》」 a wrapped citation
    if kind == "attachment" and (
        _ATTACHMENT_LIST.match(rest) or (number == "附件" and rest.strip())
    ):
        # 「附件：1.…」 or 「附件：某某名单」 in a notice names its attachments; the attachment
        # itself starts with a bare 「附件」/「附件N」 line (GB/T 9704)
        return None
    if _is_cell(lines[i]) and len(rest) <= 6 and kind not in ("attachment", "law"):
        before = lines[i - 1] if i > 0 else ""
        after = lines[i + 1] if i + 1 < len(lines) else ""
        if (
            before
            and after
            and _is_cell(before)
            and _is_cell(after)
            and _match_marker(after) is None
        ):
            return None  # inside a table broken one cell per line
    value = _number_value(kind, number)
    parent = next((n for n in reversed(stack) if n.rank < rank), stack[0])
    if not _plausible(kind, rank, value, parent, global_last):
        return None
    heading, body = _split_heading(kind, rest)
    node = _Node(
        kind,
        rank,
        number,
        value,
        heading.strip(),
        wants_title=kind in ("attachment", "law") and not heading.strip(),
    )
    if body.strip():
        node.body.append(body.strip())
    return node


def _freeze(node: _Node, path: str, level: int) -> Section:
    children: list[Section] = []
    seen: dict[str, int] = {}
    for child in node.children:
        key = child.number
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key = f"{key}#{seen[key]}"  # a restarted 「一、」 keeps ids unique
        cid = f"{path}/{key}" if path else key
        children.append(_freeze(child, cid, level + 1))
    return Section(
        id=path,
        level=level,
        number=node.number,
        heading=node.heading,
        body="\n".join(node.body),
        children=tuple(children),
    )


# --------------------------------------------------------------------------- views


def iter_sections(root: Section) -> Iterator[Section]:
    """Every section below ``root`` (root excluded), depth first, in document order."""
    for child in root.children:
        yield from child.walk()


def flatten(root: Section) -> list[Section]:
    """``iter_sections`` as a list."""
    return list(iter_sections(root))


def to_outline_json(root: Section) -> list[dict[str, Any]]:
    """The tree without bodies: ``[{"id","level","number","heading","children":[...]}]``."""
    return [
        {
            "id": s.id,
            "level": s.level,
            "number": s.number,
            "heading": s.heading,
            "children": to_outline_json(s),
        }
        for s in root.children
    ]


def _marker_text(s: Section) -> str:
    if s.number and s.number[0] in _CN_NUM and not s.number.startswith("第"):
        return s.number + "、"
    if s.number.isdigit():
        return s.number + "."
    return s.number


def render_outline(root: Section) -> str:
    """Indented plain-text outline for ``watcher outline FILE``."""
    out: list[str] = []
    if root.heading:
        out.append(root.heading)
    for s in iter_sections(root):
        text = s.heading or s.body.split("\n", 1)[0][:30]
        sep = " " if s.number[-1:].isdigit() else ""
        indent = "  " * (s.level - 1)
        out.append(f"{indent}{_marker_text(s)}{sep}{text}".rstrip())
    return "\n".join(out) + ("\n" if out else "")
