"""Our documented JSON webhook (``json://``, ``jsons://``): one POST per message with an
``Idempotency-Key`` and, when a secret is configured, an HMAC-SHA256 signature."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from watcher.deliver.channels._common import (
    DEFAULT_DEADLINE,
    DEFAULT_TIMEOUT,
    Message,
    Progress,
    post_json,
)
from watcher.deliver.channels.redaction import redact, url_secrets
from watcher.errors import NotifyError

__all__ = ["WebhookChannel", "webhook_channel", "webhook_payload", "webhook_signature"]


def webhook_payload(message: Message) -> dict[str, Any]:
    """The documented JSON body of ``json://`` webhooks (see docs/notifications.md)."""
    return {
        "id": message.idempotency_key,
        "kind": message.kind,
        "severity": message.severity,
        "title": message.title,
        "body": message.body,
        "url": message.url,
        "evidence": [dict(e) for e in message.evidence],
        "created_at": message.created_at,
    }


def webhook_signature(secret: str, body: bytes) -> str:
    """Value of the ``X-Watcher-Signature`` header: ``sha256=<hex HMAC-SHA256 of the body>``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass
class WebhookChannel:
    url: str
    secret: str | None
    label: str
    timeout: float = DEFAULT_TIMEOUT
    deadline: float = DEFAULT_DEADLINE

    def send(self, message: Message, progress: Progress | None = None) -> None:
        body = json.dumps(webhook_payload(message), ensure_ascii=False).encode("utf-8")
        headers = {"Idempotency-Key": message.idempotency_key, "User-Agent": "policy-watcher"}
        if self.secret:
            headers["X-Watcher-Signature"] = webhook_signature(self.secret, body)
        secrets = [self.secret or "", *url_secrets(self.url)]
        post_json(
            self.url,
            {},
            body=body,
            headers=headers,
            timeout=self.timeout,
            secrets=secrets,
            label=self.label,
            deadline=self.deadline,
        )


def webhook_channel(
    url: str,
    environ: Mapping[str, str],
    secret_env: str,
    timeout: float,
    deadline: float = DEFAULT_DEADLINE,
) -> WebhookChannel:
    parts = urlsplit(url)
    if not parts.hostname:
        raise NotifyError(f"Webhook 地址缺少主机: {redact(url)}。格式: json://主机:端口/路径")
    scheme = "https" if parts.scheme == "jsons" else "http"
    target = parts._replace(scheme=scheme).geturl()
    return WebhookChannel(
        url=target,
        secret=environ.get(secret_env) or None,
        label=redact(url),
        timeout=timeout,
        deadline=deadline,
    )
