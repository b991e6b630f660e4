"""The head of a body: title lines and a 发文字号 line set above the text.

Many bodies start with what a printed document puts above its text: the title (often as two or
three centred lines: 发文机关 / 关于…的通知) and the 发文字号 on a line of its own (「嘉教〔2019〕45号」).
They are neither text nor lost: a page that knows its title drops the lines that repeat it; a
body-only page (no title anywhere else) takes its title from its leading centred lines; a lone
文号 line among them becomes the 发文字号. A 题注 such as 「（2007年6月29日…通过）」 stays text.

Input: the body's lines with whether each is centred (``_dom.styled_lines``) and the title
found elsewhere; output: how many lines to drop, the title recovered and the 文号 line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from watcher.ingest.extract._meta import join_title
from watcher.text.identity import doc_numbers

__all__ = ["Lead", "read_lead"]

_SPACES = re.compile(r"[\s\u3000\xa0]+")
#: The head is looked for in this many leading lines.
_MAX_LINES = 6
#: A title line is at most this long; a recovered title has at most this many lines.
_TITLE_LINE_MAX = 60
_TITLE_LINES_MAX = 4
#: A lone 文号 line has at most this many characters beyond the number itself (第, spaces).
_DOC_SLACK = 2
_DOC_LINE_MAX = 40
#: Line shapes that are never part of a title: a sentence or clause end, a 题注 or note in
#: brackets, a label with its value, a chapter or article heading, a date.
_NOT_TITLE = re.compile(
    r"[。；;，,：:]$|^[（(〔\[【［]|[:：].|^第[一二三四五六七八九十百零〇\d]+[章节条编]|^目\s*录$|"
    r"^(?:19|20)\d{2}\s*[年.\-/]\s*\d{1,2}\s*[月.\-/]\s*\d{1,2}\s*日?$"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Lead:
    """What the head of a body holds: drop the first ``skip`` lines; ``title`` and
    ``doc_number`` are what they gave (None when nothing was found)."""

    skip: int = 0
    title: str | None = None
    doc_number: str | None = None


def _squash(text: str) -> str:
    return _SPACES.sub("", text)


def _doc_line(line: str) -> bool:
    """A line that is one 发文字号 and nothing else."""
    if len(line) > _DOC_LINE_MAX:
        return False
    numbers = doc_numbers(line)
    return len(numbers) == 1 and len(_squash(line)) <= len(numbers[0]) + _DOC_SLACK


def _title_like(line: str) -> bool:
    return (
        len(line) <= _TITLE_LINE_MAX
        and _CJK.search(line) is not None
        and not _doc_line(line)
        and _NOT_TITLE.search(line) is None
    )


def _repeats_title(lines: list[tuple[str, bool]], start: int, title: str) -> int:
    """End of the lines from ``start`` that spell ``title`` (or 发文机关 + ``title`` when the first
    of them is a centred title-like line), else ``start``."""
    target = _squash(title)
    for first in (start, start + 1):
        if first > start and not (lines[start][1] and _title_like(lines[start][0])):
            break
        acc = ""
        for end in range(first, min(len(lines), start + _MAX_LINES)):
            acc += _squash(lines[end][0])
            if acc == target:
                return end + 1
            if not target.startswith(acc):
                break
    return start


def _centred_title(lines: list[tuple[str, bool]], start: int) -> tuple[int, str | None]:
    """(end, title) of the leading centred title lines of a page that has no other title.

    Something not centred must follow: on a page where every line is centred, centring says
    nothing about which lines are the title.
    """
    end = start
    while (
        end < len(lines)
        and end - start < _TITLE_LINES_MAX
        and lines[end][1]
        and _title_like(lines[end][0])
    ):
        end += 1
    rest = lines[end:]
    if end == start or not any(not centred for _line, centred in rest):
        return start, None
    return end, join_title(line for line, _centred in lines[start:end])


def read_lead(lines: list[tuple[str, bool]], title: str) -> Lead:
    """The title and 文号 lines at the top of a body (``title`` is the one found elsewhere)."""
    if not lines:
        return Lead()
    doc: str | None = None
    i = 0
    if _doc_line(lines[0][0]):
        doc, i = lines[0][0], 1
    found: str | None = None
    if title.strip():
        i = _repeats_title(lines, i, title)
    else:
        i, found = _centred_title(lines, i)
    if doc is None and i < len(lines) and i < _MAX_LINES and _doc_line(lines[i][0]):
        doc, i = lines[i][0], i + 1
    if i >= len(lines):
        return Lead()  # never turn a whole body into a heading
    return Lead(skip=i, title=found, doc_number=doc)
