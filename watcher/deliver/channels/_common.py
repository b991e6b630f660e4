"""What every channel module shares: the ``Message`` and ``Channel`` types, splitting long
texts to a byte limit, JSON posts with secret-free errors, and scrubbing secrets from text."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, quote, urlsplit

import httpx

from watcher.errors import NotifyError

__all__ = [
    "DEFAULT_TIMEOUT",
    "Channel",
    "Message",
    "post_json",
    "query_params",
    "scrub",
    "split_message",
]

PART = "({i}/{n}) "
DEFAULT_TIMEOUT = 15.0


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


class Channel(Protocol):
    label: str

    def send(self, message: Message) -> None:
        """Deliver ``message`` or raise ``NotifyError`` (with a secret-free message)."""
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
) -> httpx.Response:
    data = body if body is not None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    hdrs = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    try:
        response = httpx.post(url, content=data, headers=hdrs, timeout=timeout)
    except httpx.TimeoutException:
        raise NotifyError(f"{label}: 发送超时（{timeout:g} 秒）。请检查网络或对方服务。") from None
    except httpx.HTTPError as exc:
        reason = scrub(f"{type(exc).__name__}: {exc}", secrets)
        raise NotifyError(f"{label}: 无法连接 ({reason})。请检查地址和网络。") from None
    if not 200 <= response.status_code < 300:
        snippet = scrub(response.text[:200], secrets)
        raise NotifyError(f"{label}: 对方返回 HTTP {response.status_code}: {snippet}")
    return response
