"""Every other scheme, handed to Apprise (imported lazily: it is slow to import)."""

from __future__ import annotations

from dataclasses import dataclass

from watcher.deliver.channels._common import DEFAULT_TIMEOUT, Message, Progress
from watcher.errors import NotifyError

__all__ = ["AppriseChannel"]


@dataclass
class AppriseChannel:
    url: str
    label: str
    timeout: float = DEFAULT_TIMEOUT

    def send(self, message: Message, progress: Progress | None = None) -> None:
        import apprise  # imported lazily: it is slow to import and only needed for its schemes

        app = apprise.Apprise()
        if not app.add(self.url):
            raise NotifyError(
                f"{self.label}: Apprise 不认识这个通知地址。请对照 Apprise 文档检查格式。"
            )
        try:
            ok = app.notify(body=message.text, title=message.title)
        except Exception as exc:  # Apprise plugins raise anything; the outbox needs NotifyError
            raise NotifyError(f"{self.label}: 发送失败 ({type(exc).__name__})。") from None
        if not ok:
            raise NotifyError(
                f"{self.label}: Apprise 报告发送失败。请用 watcher notify-test 检查。"
            )
