"""Channel URLs safe for display: passwords, bot keys, tokens and secret parameters hidden.
Secrets never leave a channel; logs, the store and the web show only ``redact(url)``."""

from __future__ import annotations

import hashlib
from urllib.parse import unquote, urlsplit

__all__ = ["BOT_SCHEMES", "channel_key", "redact"]

#: Schemes of the group bots, whose key is the first path segment.
BOT_SCHEMES = frozenset({"wecom", "dingtalk", "feishu"})
_SECRET_PARAMS = (
    "key",
    "token",
    "access_token",
    "secret",
    "password",
    "pass",
    "sign",
    "apikey",
    "api_key",
    "webhook",
)


def redact(url: str) -> str:
    """``url`` safe for display: passwords, bot keys, tokens and secret parameters hidden."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "***"
    scheme = parts.scheme.lower()
    query = _redact_query(parts.query)
    if scheme in BOT_SCHEMES:
        segs = [s for s in (parts.netloc + parts.path).split("/") if s]
        shown = (segs[0][:4] + "***") if segs else ""
        if len(segs) > 1:
            shown += "/***"
        return f"{scheme}://{shown}" + (f"?{query}" if query else "")
    host = parts.hostname or ""
    try:
        if parts.port:
            host += f":{parts.port}"
    except ValueError:  # "tgram://123:TOKEN/…": the "port" is a token
        host = "***"
    user = (
        f"{unquote(parts.username)}:***@"
        if parts.username and parts.password
        else (f"{unquote(parts.username)}@" if parts.username else "")
    )
    if scheme in ("mailto", "mailtos", "json", "jsons", "http", "https"):
        path = parts.path
    else:
        # Apprise URLs carry tokens in the host and path (tgram://TOKEN/CHAT): show none of it
        # unless the host is a real host name.
        if "." not in host and host != "localhost":
            host = "***"
        path = "/***" if parts.path.strip("/") else ""
    return f"{scheme}://{user}{host}{path}" + (f"?{query}" if query else "")


def _redact_query(query: str) -> str:
    if not query:
        return ""
    out = []
    for item in query.split("&"):
        name, eq, value = item.partition("=")
        if name.lower() in _SECRET_PARAMS and value:
            value = "***"
        out.append(name + eq + value)
    return "&".join(out)


def channel_key(url: str) -> str:
    """What the outbox stores to name a channel: a hash of its URL, never the URL (secrets)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]
