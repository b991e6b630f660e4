"""Notification channels: a channel URL → a ``Channel`` that sends one ``Message`` or raises.

The outbox (``watcher.outbox``) decides *when* to send; this module only knows *how*. Built-in
schemes: ``mailto://``/``mailtos://`` (SMTP), ``json://``/``jsons://`` (our documented webhook
JSON, HMAC-signed), ``wecom://``, ``dingtalk://`` and ``feishu://`` (group bots whose JSON
``errcode``/``code`` decides success even on HTTP 200, with long messages split on line
boundaries to each API's byte limit). Any other scheme is handed to Apprise. Secrets (passwords,
bot keys, signing secrets) never leave a channel: ``redact`` shows URLs for display, and every
error message is scrubbed of the channel's secrets before it is raised.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol
from urllib.parse import parse_qs, quote, unquote, urlsplit

import httpx

from watcher.errors import NotifyError

__all__ = [
    "BOT_LIMITS",
    "Channel",
    "Message",
    "parse_channel",
    "redact",
    "split_message",
    "webhook_payload",
    "webhook_signature",
]

# ----------------------------------------------------------------------------- data

#: Per-message byte limits of the bot APIs (UTF-8 bytes of the text we put in the message).
#: WeCom: markdown.content ≤ 4096 bytes. DingTalk: ≤ 20000 bytes. Feishu: the whole request
#: body ≤ 20 KB, so the text keeps room for the JSON envelope.
BOT_LIMITS: Mapping[str, int] = {"wecom": 4096, "dingtalk": 20000, "feishu": 18000}

#: Default API endpoints; each can be overridden by ``?endpoint=`` on the channel URL or by the
#: environment variable named here (tests point them at a loopback receiver).
BOT_ENDPOINTS: Mapping[str, tuple[str, str]] = {
    "wecom": ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send", "WATCHER_WECOM_ENDPOINT"),
    "dingtalk": ("https://oapi.dingtalk.com/robot/send", "WATCHER_DINGTALK_ENDPOINT"),
    "feishu": ("https://open.feishu.cn/open-apis/bot/v2/hook", "WATCHER_FEISHU_ENDPOINT"),
}

#: Query parameters whose values are secrets in any URL we display.
_SECRET_PARAMS = ("key", "token", "access_token", "secret", "password", "pass", "sign", "apikey",
                  "api_key", "webhook")
_PART = "({i}/{n}) "
DEFAULT_TIMEOUT = 15.0


# ----------------------------------------------------------------------------- message


@dataclass(frozen=True)
class Message:
    """One notification. ``body`` is plain Chinese text; e-mail also takes ``html``, a longer
    plain text (``mail_body``) and attachments, which chat channels leave out."""

    title: str
    body: str
    html: str | None = None
    mail_body: str | None = None
    idempotency_key: str = ""
    attachments: tuple[tuple[str, bytes, str], ...] = ()   # (filename, bytes, mime type)
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


# ----------------------------------------------------------------------------- splitting


def split_message(text: str, limit: int) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` UTF-8 bytes, numbered 「(i/n) 」.

    Splits on line boundaries; a single line longer than a part is cut between characters
    (never inside one). A text that fits is returned unchanged, without a number.
    """
    if len(text.encode("utf-8")) <= limit:
        return [text]
    digits = 1
    while True:
        reserve = len(_PART.format(i="9" * digits, n="9" * digits).encode("utf-8"))
        if limit - reserve < 8:
            raise NotifyError(f"消息分段上限 {limit} 字节太小，无法分段。")
        chunks = _chunks(text, limit - reserve)
        if len(str(len(chunks))) <= digits:
            n = len(chunks)
            return [_PART.format(i=i, n=n) + c for i, c in enumerate(chunks, 1)]
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


# ----------------------------------------------------------------------------- helpers


def _scrub(text: str, secrets: Sequence[str]) -> str:
    for s in secrets:
        if s and len(s) >= 3:
            text = text.replace(s, "***").replace(quote(s, safe=""), "***")
    return text


def _query(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def _post_json(
    url: str, payload: Mapping[str, Any], *, headers: Mapping[str, str] | None = None,
    timeout: float, secrets: Sequence[str], label: str, body: bytes | None = None,
) -> httpx.Response:
    data = body if body is not None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    hdrs = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    try:
        response = httpx.post(url, content=data, headers=hdrs, timeout=timeout)
    except httpx.TimeoutException:
        raise NotifyError(f"{label}: 发送超时（{timeout:g} 秒）。请检查网络或对方服务。") from None
    except httpx.HTTPError as exc:
        reason = _scrub(f"{type(exc).__name__}: {exc}", secrets)
        raise NotifyError(f"{label}: 无法连接 ({reason})。请检查地址和网络。") from None
    if not 200 <= response.status_code < 300:
        snippet = _scrub(response.text[:200], secrets)
        raise NotifyError(f"{label}: 对方返回 HTTP {response.status_code}: {snippet}")
    return response


# ----------------------------------------------------------------------------- SMTP


@dataclass
class EmailChannel:
    host: str
    port: int
    to: tuple[str, ...]
    sender: str
    user: str | None
    password: str | None
    starttls: bool
    implicit_tls: bool
    label: str
    timeout: float = DEFAULT_TIMEOUT

    def send(self, message: Message) -> None:
        msg = EmailMessage()
        msg["Subject"] = message.title
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.to)
        msg["Date"] = formatdate(localtime=False)
        domain = self.sender.rpartition("@")[2] or "policy-watcher"
        # The same idempotency key gives the same Message-ID, so a resend after a crash can be
        # recognised as a duplicate by mail clients and archives.
        key = message.idempotency_key or hashlib.sha256(message.text.encode()).hexdigest()[:24]
        msg["Message-ID"] = f"<{key}@{domain}>" if "@" not in key else make_msgid(domain=domain)
        text = message.mail_body or message.body
        msg.set_content(text + (f"\n\n链接: {message.url}" if message.url else ""))
        if message.html:
            msg.add_alternative(message.html, subtype="html")
        for filename, data, mime in message.attachments:
            maintype, _, subtype = mime.partition("/")
            msg.add_attachment(data, maintype=maintype or "application",
                               subtype=subtype or "octet-stream", filename=filename)
        secrets = [self.password or ""]
        try:
            smtp: smtplib.SMTP
            if self.implicit_tls:
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user and self.password:
                    smtp.login(self.user, self.password)
                refused = smtp.send_message(msg)
        except smtplib.SMTPAuthenticationError:
            raise NotifyError(f"{self.label}: 邮件服务器拒绝登录，请检查用户名和密码。") from None
        except (smtplib.SMTPException, OSError) as exc:
            reason = _scrub(f"{type(exc).__name__}: {exc}", secrets)
            raise NotifyError(f"{self.label}: 邮件发送失败 ({reason})。") from None
        if refused:
            raise NotifyError(f"{self.label}: 收件人被拒绝: {', '.join(sorted(refused))}")


def _email_channel(url: str, timeout: float) -> EmailChannel:
    parts = urlsplit(url)
    q = _query(url)
    if not parts.hostname:
        raise NotifyError(f"邮件地址缺少服务器: {redact(url)}。格式: mailto://用户:密码@主机:端口?to=收件人")
    secure = parts.scheme == "mailtos"
    port = parts.port or (587 if secure else 25)
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    to = tuple(a.strip() for a in q.get("to", "").split(",") if a.strip())
    if not to:
        raise NotifyError(f"邮件地址缺少收件人: {redact(url)}。请加上 ?to=收件人@域名")
    sender = q.get("from") or (user if user and "@" in user else f"policy-watcher@{parts.hostname}")
    return EmailChannel(
        host=parts.hostname, port=port, to=to, sender=sender, user=user, password=password,
        starttls=(secure or port == 587) and port != 465, implicit_tls=port == 465,
        label=redact(url), timeout=timeout,
    )


# ----------------------------------------------------------------------------- generic webhook


@dataclass
class WebhookChannel:
    url: str
    secret: str | None
    label: str
    timeout: float = DEFAULT_TIMEOUT

    def send(self, message: Message) -> None:
        body = json.dumps(webhook_payload(message), ensure_ascii=False).encode("utf-8")
        headers = {"Idempotency-Key": message.idempotency_key, "User-Agent": "policy-watcher"}
        if self.secret:
            headers["X-Watcher-Signature"] = webhook_signature(self.secret, body)
        secrets = [self.secret or "", urlsplit(self.url).password or "", *_query(self.url).values()]
        _post_json(self.url, {}, body=body, headers=headers, timeout=self.timeout,
                   secrets=secrets, label=self.label)


def _webhook_channel(url: str, environ: Mapping[str, str], secret_env: str,
                     timeout: float) -> WebhookChannel:
    parts = urlsplit(url)
    if not parts.hostname:
        raise NotifyError(f"Webhook 地址缺少主机: {redact(url)}。格式: json://主机:端口/路径")
    scheme = "https" if parts.scheme == "jsons" else "http"
    target = parts._replace(scheme=scheme).geturl()
    return WebhookChannel(url=target, secret=environ.get(secret_env) or None, label=redact(url),
                          timeout=timeout)


# ----------------------------------------------------------------------------- chat bots


@dataclass
class BotChannel:
    """WeCom, DingTalk or Feishu group bot."""

    kind: str                     # wecom | dingtalk | feishu
    token: str                    # WeCom key, DingTalk access_token, Feishu hook id
    secret: str | None
    endpoint: str
    label: str
    timeout: float = DEFAULT_TIMEOUT
    clock: Callable[[], float] = field(default=time.time)

    def send(self, message: Message) -> None:
        parts = split_message(message.text, BOT_LIMITS[self.kind])
        for i, part in enumerate(parts, 1):
            url, payload = self._request(message.title, part)
            response = _post_json(url, payload, timeout=self.timeout, label=self.label,
                                  secrets=[self.token, self.secret or ""])
            self._check(response, i, len(parts))

    def _request(self, title: str, text: str) -> tuple[str, dict[str, Any]]:
        sep = "&" if "?" in self.endpoint else "?"
        if self.kind == "wecom":
            return (f"{self.endpoint}{sep}key={quote(self.token, safe='')}",
                    {"msgtype": "markdown", "markdown": {"content": text}})
        if self.kind == "dingtalk":
            url = f"{self.endpoint}{sep}access_token={quote(self.token, safe='')}"
            if self.secret:
                ts = str(int(self.clock() * 1000))
                mac = hmac.new(self.secret.encode(), f"{ts}\n{self.secret}".encode(),
                               hashlib.sha256).digest()
                url += f"&timestamp={ts}&sign={quote(base64.b64encode(mac).decode(), safe='')}"
            return url, {"msgtype": "markdown", "markdown": {"title": title[:60], "text": text}}
        payload: dict[str, Any] = {"msg_type": "text", "content": {"text": text}}
        if self.secret:
            # Feishu signs with the string "timestamp\nsecret" as the HMAC key and an empty message.
            ts = str(int(self.clock()))
            mac = hmac.new(f"{ts}\n{self.secret}".encode(), b"", hashlib.sha256).digest()
            payload.update(timestamp=ts, sign=base64.b64encode(mac).decode())
        return f"{self.endpoint.rstrip('/')}/{quote(self.token, safe='')}", payload

    def _check(self, response: httpx.Response, part: int, total: int) -> None:
        try:
            data = response.json()
        except ValueError:
            raise NotifyError(f"{self.label}: 对方返回的不是 JSON，无法确认送达。") from None
        if not isinstance(data, dict):
            raise NotifyError(f"{self.label}: 对方返回了意外的内容，无法确认送达。")
        if self.kind == "feishu":
            code = data.get("code", data.get("StatusCode"))
            msg = data.get("msg", data.get("StatusMessage", ""))
        else:
            code, msg = data.get("errcode"), data.get("errmsg", "")
        if code not in (0, "0"):
            where = f"第 {part}/{total} 段" if total > 1 else "消息"
            detail = _scrub(str(msg)[:120], [self.token, self.secret or ""])
            raise NotifyError(
                f"{self.label}: {where}被拒绝 (错误码 {code}: {detail})。请检查机器人密钥、签名和关键词设置。"
            )


def _bot_channel(url: str, environ: Mapping[str, str], timeout: float) -> BotChannel:
    parts = urlsplit(url)
    kind = parts.scheme
    segments = [unquote(s) for s in (parts.netloc + parts.path).split("/") if s]
    if not segments:
        raise NotifyError(f"{kind} 地址缺少机器人密钥: {redact(url)}。格式见 docs/notifications.md")
    token, secret = segments[0], (segments[1] if len(segments) > 1 else None)
    if kind == "wecom":
        secret = None
    default, env_name = BOT_ENDPOINTS[kind]
    endpoint = _query(url).get("endpoint") or environ.get(env_name) or default
    return BotChannel(kind=kind, token=token, secret=secret, endpoint=endpoint,
                      label=redact(url), timeout=timeout)


# ----------------------------------------------------------------------------- Apprise


@dataclass
class AppriseChannel:
    url: str
    label: str
    timeout: float = DEFAULT_TIMEOUT

    def send(self, message: Message) -> None:
        import apprise  # imported lazily: it is slow to import and only needed for its schemes

        app = apprise.Apprise()
        if not app.add(self.url):
            raise NotifyError(f"{self.label}: Apprise 不认识这个通知地址。请对照 Apprise 文档检查格式。")
        try:
            ok = app.notify(body=message.text, title=message.title)
        except Exception as exc:  # Apprise plugins raise anything; the outbox needs NotifyError
            raise NotifyError(f"{self.label}: 发送失败 ({type(exc).__name__})。") from None
        if not ok:
            raise NotifyError(f"{self.label}: Apprise 报告发送失败。请用 watcher notify-test 检查。")


# ----------------------------------------------------------------------------- parse / redact


def parse_channel(
    url: str, *, environ: Mapping[str, str] | None = None,
    secret_env: str = "WATCHER_WEBHOOK_SECRET", timeout: float = DEFAULT_TIMEOUT,
) -> Channel:
    """The channel for ``url``; ``NotifyError`` when the URL is malformed."""
    env = os.environ if environ is None else environ
    url = url.strip()
    scheme = urlsplit(url).scheme.lower()
    if not scheme:
        raise NotifyError(f"通知地址缺少协议前缀: {redact(url)}。例如 mailto://、wecom://、json://")
    if scheme in ("mailto", "mailtos"):
        return _email_channel(url, timeout)
    if scheme in ("json", "jsons"):
        return _webhook_channel(url, env, secret_env, timeout)
    if scheme in BOT_ENDPOINTS:
        return _bot_channel(url, env, timeout)
    return AppriseChannel(url=url, label=redact(url), timeout=timeout)


def redact(url: str) -> str:
    """``url`` safe for display: passwords, bot keys, tokens and secret parameters hidden."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "***"
    scheme = parts.scheme.lower()
    query = _redact_query(parts.query)
    if scheme in BOT_ENDPOINTS:
        segs = [s for s in (parts.netloc + parts.path).split("/") if s]
        shown = (segs[0][:4] + "***") if segs else ""
        if len(segs) > 1:
            shown += "/***"
        return f"{scheme}://{shown}" + (f"?{query}" if query else "")
    host = parts.hostname or ""
    try:
        if parts.port:
            host += f":{parts.port}"
    except ValueError:           # "tgram://123:TOKEN/…": the "port" is a token
        host = "***"
    user = f"{unquote(parts.username)}:***@" if parts.username and parts.password else (
        f"{unquote(parts.username)}@" if parts.username else "")
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
