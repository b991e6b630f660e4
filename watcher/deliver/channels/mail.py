"""E-mail over SMTP (``mailto://``, ``mailtos://`` for implicit TLS, ``?starttls=yes``).

Each recipient the server accepted is marked in the delivery's ``Progress``: when the server
refuses one of two recipients, the retry goes to the refused one only. A whole exchange is
bounded by ``deadline``: a server that stalls gets its socket shut at the deadline."""

from __future__ import annotations

import contextlib
import hashlib
import smtplib
import socket
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from watcher.deliver.channels._common import (
    DEFAULT_DEADLINE,
    DEFAULT_TIMEOUT,
    Message,
    Progress,
    query_params,
    scrub,
)
from watcher.deliver.channels.redaction import redact
from watcher.errors import NotifyError

__all__ = ["EmailChannel", "email_channel"]


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
    deadline: float = DEFAULT_DEADLINE

    def send(self, message: Message, progress: Progress | None = None) -> None:
        done = progress if progress is not None else Progress()
        recipients = [a for a in self.to if f"to:{a}" not in done]
        if not recipients:
            return
        msg = self._compose(message)
        refused = self._transmit(msg, recipients)
        for address in recipients:
            if address not in refused:
                done.mark(f"to:{address}")
        if refused:
            raise NotifyError(f"{self.label}: 收件人被拒绝: {', '.join(sorted(refused))}")

    def _compose(self, message: Message) -> EmailMessage:
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
            msg.add_attachment(
                data,
                maintype=maintype or "application",
                subtype=subtype or "octet-stream",
                filename=filename,
            )
        return msg

    def _transmit(self, msg: EmailMessage, recipients: list[str]) -> dict[str, object]:
        """The recipients the server refused (all of them raise NotifyError)."""
        secrets = [self.password or ""]
        smtp: smtplib.SMTP = (
            smtplib.SMTP_SSL(timeout=self.timeout, context=ssl.create_default_context())
            if self.implicit_tls
            else smtplib.SMTP(timeout=self.timeout)
        )
        expired = threading.Event()

        def cut() -> None:  # the deadline: wake up whatever read is blocked on the socket
            expired.set()
            if smtp.sock is not None:
                with contextlib.suppress(OSError):
                    smtp.sock.shutdown(socket.SHUT_RDWR)

        watchdog = threading.Timer(self.deadline, cut)
        watchdog.daemon = True
        watchdog.start()
        try:
            code, greeting = smtp.connect(self.host, self.port)
            if code != 220:  # what smtplib.SMTP(host) checks when it connects in its constructor
                raise smtplib.SMTPConnectError(code, greeting)
            with smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user and self.password:
                    smtp.login(self.user, self.password)
                return dict(smtp.send_message(msg, to_addrs=recipients))
        except smtplib.SMTPAuthenticationError:
            raise NotifyError(f"{self.label}: 邮件服务器拒绝登录，请检查用户名和密码。") from None
        except smtplib.SMTPRecipientsRefused as exc:
            return dict(exc.recipients)
        except (smtplib.SMTPException, OSError) as exc:
            if expired.is_set():
                raise NotifyError(
                    f"{self.label}: 发送超过总时限（{self.deadline:g} 秒）仍未完成，稍后重试。"
                ) from None
            reason = scrub(f"{type(exc).__name__}: {exc}", secrets)
            raise NotifyError(f"{self.label}: 邮件发送失败 ({reason})。") from None
        finally:
            watchdog.cancel()
            smtp.close()  # also when the greeting or TLS failed before `with smtp` took over


def email_channel(url: str, timeout: float, deadline: float = DEFAULT_DEADLINE) -> EmailChannel:
    parts = urlsplit(url)
    q = query_params(url)
    if not parts.hostname:
        raise NotifyError(
            f"邮件地址缺少服务器: {redact(url)}。格式: mailto://用户:密码@主机:端口?to=收件人"
        )
    secure = parts.scheme == "mailtos"
    port = parts.port or (587 if secure else 25)
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    to = tuple(a.strip() for a in q.get("to", "").split(",") if a.strip())
    if not to:
        raise NotifyError(f"邮件地址缺少收件人: {redact(url)}。请加上 ?to=收件人@域名")
    sender = q.get("from") or (user if user and "@" in user else f"policy-watcher@{parts.hostname}")
    return EmailChannel(
        host=parts.hostname,
        port=port,
        to=to,
        sender=sender,
        user=user,
        password=password,
        starttls=(secure or port == 587) and port != 465,
        implicit_tls=port == 465,
        label=redact(url),
        timeout=timeout,
        deadline=deadline,
    )
