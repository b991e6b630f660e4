"""Channel URLs safe for display: passwords, bot keys, path tokens and query values hidden.
Secrets never leave a channel; logs, the store and the web show only ``redact(url)``, and error
texts are scrubbed of ``url_secrets(url)``."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["BOT_SCHEMES", "channel_key", "redact", "url_secrets"]

#: Schemes of the group bots, whose key is the first path segment.
BOT_SCHEMES = frozenset({"wecom", "dingtalk", "feishu"})
#: Schemes whose host is a real host name (any other scheme may carry a token there).
_HOST_SCHEMES = frozenset({"mailto", "mailtos", "json", "jsons", "http", "https"})
#: The only query values shown: e-mail addresses and switches of mailto URLs. Every other value
#: (sig=, key=, token=, endpoint=…) may be a secret.
_SHOWN_MAIL_PARAMS = frozenset({"to", "from", "cc", "bcc", "starttls"})
#: A first path segment shown as is (/hooks, /services, /api); anything else is hidden.
_PLAIN_SEGMENT = re.compile(r"[a-z][a-z_-]{0,15}")
HIDDEN = "***"


def redact(url: str) -> str:
    """``url`` safe for display and for the store: passwords, bot keys, every path segment after
    the first (tokens of /hooks/…/TOKEN and Slack/Discord /webhooks/… URLs) and every query value
    hidden; only a plain first path segment and mailto's recipients stay visible."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return HIDDEN
    scheme = parts.scheme.lower()
    query = _redact_query(parts.query, mail=scheme in ("mailto", "mailtos"))
    tail = f"?{query}" if query else ""
    if scheme in BOT_SCHEMES:
        segs = [s for s in (parts.netloc + parts.path).split("/") if s]
        shown = (segs[0][:4] + HIDDEN) if segs else ""
        if len(segs) > 1:
            shown += "/" + HIDDEN
        return f"{scheme}://{shown}{tail}"
    host = parts.hostname or ""
    try:
        if parts.port:
            host += f":{parts.port}"
    except ValueError:  # "tgram://123:TOKEN/…": the "port" is a token
        host = HIDDEN
    user = (
        f"{unquote(parts.username)}:{HIDDEN}@"
        if parts.username and parts.password
        else (f"{unquote(parts.username)}@" if parts.username else "")
    )
    if scheme not in _HOST_SCHEMES and "." not in host and host != "localhost":
        # Apprise URLs carry tokens in the host and path (tgram://TOKEN/CHAT).
        host = HIDDEN
    return f"{scheme}://{user}{host}{_redact_path(parts.path)}{tail}"


def url_secrets(url: str) -> list[str]:
    """Every part of ``url`` that ``redact`` hides (to scrub from error texts)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return [url]
    mail = parts.scheme.lower() in ("mailto", "mailtos")
    found = [parts.password or ""]
    found += [
        v
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not (mail and k.lower() in _SHOWN_MAIL_PARAMS)
    ]
    segs = [unquote(s) for s in parts.path.split("/") if s]
    found += segs[1:] if segs and _PLAIN_SEGMENT.fullmatch(segs[0]) else segs
    if parts.scheme.lower() not in _HOST_SCHEMES:
        found.append(parts.netloc)
    return [s for s in found if s and s != HIDDEN]


def _redact_path(path: str) -> str:
    segs = [s for s in path.split("/") if s]
    if not segs:
        return ""
    first = segs[0] if _PLAIN_SEGMENT.fullmatch(segs[0]) else HIDDEN
    return "/" + first + (f"/{HIDDEN}" if len(segs) > 1 else "")


def _redact_query(query: str, *, mail: bool) -> str:
    if not query:
        return ""
    out = []
    for item in query.split("&"):
        name, eq, value = item.partition("=")
        if value and not (mail and name.lower() in _SHOWN_MAIL_PARAMS):
            value = HIDDEN
        out.append(name + eq + value)
    return "&".join(out)


def channel_key(url: str) -> str:
    """What the outbox stores to name a channel: a hash of its URL, never the URL (secrets)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]
