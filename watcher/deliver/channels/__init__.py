"""Notification channels: a channel URL → a ``Channel`` that sends one ``Message`` or raises.

The outbox decides *when* to send; these modules only know *how*, one family each: ``mail``
(SMTP), ``webhook`` (our documented JSON, HMAC-signed), ``bots`` (WeCom, DingTalk, Feishu) and
``apprise_urls`` (any other scheme). Secrets never leave a channel: ``redact`` shows URLs for
display, and every error message is scrubbed of the channel's secrets before it is raised.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from watcher.deliver.channels._common import (
    DEFAULT_DEADLINE,
    DEFAULT_TIMEOUT,
    MAX_PARTS,
    Channel,
    Message,
    Progress,
    split_message,
)
from watcher.deliver.channels.apprise_urls import AppriseChannel
from watcher.deliver.channels.bots import BOT_ENDPOINTS, BOT_LIMITS, bot_channel
from watcher.deliver.channels.mail import email_channel
from watcher.deliver.channels.redaction import redact
from watcher.deliver.channels.webhook import webhook_channel, webhook_payload, webhook_signature
from watcher.errors import NotifyError

__all__ = [
    "BOT_LIMITS",
    "DEFAULT_DEADLINE",
    "DEFAULT_TIMEOUT",
    "MAX_PARTS",
    "Channel",
    "Message",
    "Progress",
    "parse_channel",
    "redact",
    "split_message",
    "webhook_payload",
    "webhook_signature",
]


def parse_channel(
    url: str,
    *,
    environ: Mapping[str, str] | None = None,
    secret_env: str = "WATCHER_WEBHOOK_SECRET",
    timeout: float = DEFAULT_TIMEOUT,
    deadline: float = DEFAULT_DEADLINE,
) -> Channel:
    """The channel for ``url``; ``NotifyError`` when the URL is malformed. ``timeout`` bounds
    each network read, ``deadline`` a whole delivery."""
    env = os.environ if environ is None else environ
    url = url.strip()
    scheme = urlsplit(url).scheme.lower()
    if not scheme:
        raise NotifyError(f"通知地址缺少协议前缀: {redact(url)}。例如 mailto://、wecom://、json://")
    if scheme in ("mailto", "mailtos"):
        return email_channel(url, timeout, deadline)
    if scheme in ("json", "jsons"):
        return webhook_channel(url, env, secret_env, timeout, deadline)
    if scheme in BOT_ENDPOINTS:
        return bot_channel(url, env, timeout, deadline)
    return AppriseChannel(url=url, label=redact(url), timeout=timeout, deadline=deadline)
