"""What every channel module shares: the ``Message``, ``Progress`` and ``Channel`` types,
capping and splitting long texts to a byte limit, JSON posts with a total deadline and
secret-free errors, and scrubbing secrets from text."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs, quote, urlsplit

import httpx

from watcher.errors import NotifyError

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_TIMEOUT",
    "MAX_PARTS",
    "Channel",
    "Message",
    "Progress",
    "capped_parts",
    "post_json",
    "query_params",
    "scrub",
    "split_message",
]

PART = "({i}/{n}) "
#: Seconds one network read (or connect) may take.
DEFAULT_TIMEOUT = 15.0
#: Seconds one whole delivery may take, however the other side drips its answer.
DEFAULT_DEADLINE = 60.0
#: Most parts one chat message is split into; a longer text is cut, with a link to the full text.
MAX_PARTS = 3
#: Most characters of a title in a chat message.
MAX_TITLE_CHARS = 120
#: Bytes of a receiver's answer that are read (enough for any API's JSON verdict).
MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Message:
    """One notification. ``body`` is plain Chinese text; e-mail also takes ``html``, a longer
    plain text (``mail_body``) and attachments, which chat channels leave out."""

    title: str
    body: str
    html: str | None = None
    mail_body: str | None = None
    idempotency_key: str = ""
    attachments: tuple[tuple[str, bytes, str], ...] = ()  # (filename, bytes, mime type)
    kind: str = "message"
    severity: str = "info"
    url: str | None = None
    evidence: tuple[Mapping[str, Any], ...] = ()
    created_at: str = ""

    @property
    def text(self) -> str:
        """Title, body and link as one plain text (what chat bots receive)."""
        parts = [self.title, "", self.body]
        if self.url and self.url not in self.body:
            parts += ["", f"链接: {self.url}"]
        return "\n".join(parts).strip()


@dataclass
class Progress:
    """The parts of one delivery already acknowledged (``to:<address>`` for a mail recipient,
    ``part:<i>/<n>`` for a chat message part). A channel skips them and marks each new one the
    moment it is acknowledged; the outbox stores every mark, so a retry sends only the rest."""

    done: set[str] = field(default_factory=set)
    on_mark: Callable[[frozenset[str]], None] | None = None

    def __contains__(self, part: object) -> bool:
        return part in self.done

    def mark(self, part: str) -> None:
        self.done.add(part)
        if self.on_mark is not None:
            self.on_mark(frozenset(self.done))


class Channel(Protocol):
    label: str

    def send(self, message: Message, progress: Progress | None = None) -> None:
        """Deliver ``message`` or raise ``NotifyError`` (with a secret-free message); parts in
        ``progress`` were delivered before and are not sent again."""
        ...


def split_message(text: str, limit: int) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` UTF-8 bytes, numbered 「(i/n) 」.

    Splits on line boundaries; a single line longer than a part is cut between characters
    (never inside one). A text that fits is returned unchanged, without a number.
    """
    if len(text.encode("utf-8")) <= limit:
        return [text]
    digits = 1
    while True:
        reserve = len(PART.format(i="9" * digits, n="9" * digits).encode("utf-8"))
        if limit - reserve < 8:
            raise NotifyError(f"消息分段上限 {limit} 字节太小，无法分段。")
        parts = _chunks(text, limit - reserve)
        if len(str(len(parts))) <= digits:
            n = len(parts)
            return [PART.format(i=i, n=n) + c for i, c in enumerate(parts, 1)]
        digits += 1


def capped_parts(message: Message, limit: int, max_parts: int = MAX_PARTS) -> list[str]:
    """``message.text`` split to ``limit`` bytes in at most ``max_parts`` parts: a longer body is
    cut between characters and ends with a note and the link to the full text."""
    title = message.title
    if len(title) > MAX_TITLE_CHARS:
        title = title[: MAX_TITLE_CHARS - 1] + "…"
    whole = Message(title=title, body=message.body, url=message.url).text
    parts = split_message(whole, limit)
    budget = limit * max_parts
    link = f"全文: {message.url}" if message.url else "全文见 watcher alerts 或网页界面"
    note = f"\n……（正文过长，已截断。{link}）"
    while len(parts) > max_parts:
        room = budget - len(title.encode("utf-8")) - len(note.encode("utf-8")) - 2
        body = message.body.encode("utf-8")[: max(0, room)].decode("utf-8", "ignore")
        parts = split_message(f"{title}\n\n{body.rstrip()}{note}", limit)
        budget = budget * 9 // 10  # line packing and part numbers took more room than planned
    return parts


def _chunks(text: str, room: int) -> list[str]:
    pieces: list[str] = []
    for line in text.split("\n"):
        while len(line.encode("utf-8")) > room:
            cut, size = 0, 0
            for ch in line:
                width = len(ch.encode("utf-8"))
                if size + width > room:
                    break
                size += width
                cut += 1
            pieces.append(line[:cut])
            line = line[cut:]
        pieces.append(line)
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for piece in pieces:
        width = len(piece.encode("utf-8")) + (1 if current else 0)
        if current and size + width > room:
            chunks.append("\n".join(current))
            current, size = [piece], len(piece.encode("utf-8"))
        else:
            current.append(piece)
            size += width
    if current:
        chunks.append("\n".join(current))
    return [c for c in chunks if c.strip()] or [""]


def scrub(text: str, secrets: Sequence[str]) -> str:
    for s in secrets:
        if s and len(s) >= 3:
            text = text.replace(s, "***").replace(quote(s, safe=""), "***")
    return text


def query_params(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def post_json(
    url: str,
    payload: Mapping[str, Any],
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float,
    secrets: Sequence[str],
    label: str,
    body: bytes | None = None,
    deadline: float = DEFAULT_DEADLINE,
) -> httpx.Response:
    """POST JSON; the answer (at most MAX_ANSWER_BYTES of it) when it is 2xx, else NotifyError.

    ``timeout`` bounds each connect and read, ``deadline`` the whole exchange: a receiver that
    answers 200 and then one byte every few seconds is given up at the deadline."""
    data = body if body is not None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    hdrs = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    try:
        response = asyncio.run(_post(url, data, hdrs, timeout, deadline))
    except TimeoutError:
        raise NotifyError(
            f"{label}: 发送超过总时限（{deadline:g} 秒）仍未完成，稍后重试。请检查对方服务。"
        ) from None
    except httpx.TimeoutException:
        raise NotifyError(f"{label}: 发送超时（{timeout:g} 秒）。请检查网络或对方服务。") from None
    except httpx.HTTPError as exc:
        reason = scrub(f"{type(exc).__name__}: {exc}", secrets)
        raise NotifyError(f"{label}: 无法连接 ({reason})。请检查地址和网络。") from None
    if not 200 <= response.status_code < 300:
        snippet = scrub(response.text[:200], secrets)
        raise NotifyError(f"{label}: 对方返回 HTTP {response.status_code}: {snippet}")
    return response


async def _post(
    url: str, data: bytes, headers: Mapping[str, str], timeout: float, deadline: float
) -> httpx.Response:
    async with (
        asyncio.timeout(deadline),
        httpx.AsyncClient(timeout=timeout) as client,
        client.stream("POST", url, content=data, headers=headers) as answer,
    ):
        chunks: list[bytes] = []
        size = 0
        async for chunk in answer.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= MAX_ANSWER_BYTES:
                break
        content = b"".join(chunks)[:MAX_ANSWER_BYTES]
        kept = {k: v for k, v in answer.headers.items() if k.lower() == "content-type"}
        return httpx.Response(answer.status_code, headers=kept, content=content)
