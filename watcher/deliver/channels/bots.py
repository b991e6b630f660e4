"""Group bots of WeCom, DingTalk and Feishu: their JSON ``errcode``/``code`` decides success even
on HTTP 200; long messages are cut to at most ``MAX_PARTS`` parts of each API's byte limit
(with a link to the full text) and a retry sends only the parts not yet acknowledged."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import httpx

from watcher.deliver.channels._common import (
    DEFAULT_DEADLINE,
    DEFAULT_TIMEOUT,
    Message,
    Progress,
    capped_parts,
    post_json,
    query_params,
    scrub,
)
from watcher.deliver.channels.redaction import redact
from watcher.errors import NotifyError

__all__ = ["BOT_ENDPOINTS", "BOT_LIMITS", "BotChannel", "bot_channel"]

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


@dataclass
class BotChannel:
    """WeCom, DingTalk or Feishu group bot."""

    kind: str  # wecom | dingtalk | feishu
    token: str  # WeCom key, DingTalk access_token, Feishu hook id
    secret: str | None
    endpoint: str
    label: str
    timeout: float = DEFAULT_TIMEOUT
    clock: Callable[[], float] = field(default=time.time)
    deadline: float = DEFAULT_DEADLINE

    def send(self, message: Message, progress: Progress | None = None) -> None:
        parts = capped_parts(message, BOT_LIMITS[self.kind])
        done = progress if progress is not None else Progress()
        for i, part in enumerate(parts, 1):
            name = f"part:{i}/{len(parts)}"
            if name in done:
                continue  # acknowledged in an earlier attempt
            url, payload = self._request(message.title, part)
            response = post_json(
                url,
                payload,
                timeout=self.timeout,
                label=self.label,
                secrets=[self.token, self.secret or ""],
                deadline=self.deadline,
            )
            self._check(response, i, len(parts))
            done.mark(name)

    def _request(self, title: str, text: str) -> tuple[str, dict[str, Any]]:
        sep = "&" if "?" in self.endpoint else "?"
        if self.kind == "wecom":
            return (
                f"{self.endpoint}{sep}key={quote(self.token, safe='')}",
                {"msgtype": "markdown", "markdown": {"content": text}},
            )
        if self.kind == "dingtalk":
            url = f"{self.endpoint}{sep}access_token={quote(self.token, safe='')}"
            if self.secret:
                ts = str(int(self.clock() * 1000))
                mac = hmac.new(
                    self.secret.encode(), f"{ts}\n{self.secret}".encode(), hashlib.sha256
                ).digest()
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
            detail = scrub(str(msg)[:120], [self.token, self.secret or ""])
            raise NotifyError(
                f"{self.label}: {where}被拒绝 (错误码 {code}: {detail})。请检查机器人密钥、签名和关键词设置。"
            )


def bot_channel(
    url: str, environ: Mapping[str, str], timeout: float, deadline: float = DEFAULT_DEADLINE
) -> BotChannel:
    parts = urlsplit(url)
    kind = parts.scheme
    segments = [unquote(s) for s in (parts.netloc + parts.path).split("/") if s]
    if not segments:
        raise NotifyError(f"{kind} 地址缺少机器人密钥: {redact(url)}。格式见 docs/notifications.md")
    token, secret = segments[0], (segments[1] if len(segments) > 1 else None)
    if kind == "wecom":
        secret = None
    default, env_name = BOT_ENDPOINTS[kind]
    endpoint = query_params(url).get("endpoint") or environ.get(env_name) or default
    return BotChannel(
        kind=kind,
        token=token,
        secret=secret,
        endpoint=endpoint,
        label=redact(url),
        timeout=timeout,
        deadline=deadline,
    )
