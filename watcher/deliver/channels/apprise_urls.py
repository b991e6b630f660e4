"""Every other scheme, handed to Apprise (imported lazily: it is slow to import).

Apprise's plugins have their own per-request timeouts but no total one, so the send runs in a
helper thread that is given up at ``deadline`` (the delivery is retried later; a late success
is one more at-least-once duplicate)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from watcher.deliver.channels._common import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, Message, Progress
from watcher.errors import NotifyError

__all__ = ["AppriseChannel"]


@dataclass
class AppriseChannel:
    url: str
    label: str
    timeout: float = DEFAULT_TIMEOUT
    deadline: float = DEFAULT_DEADLINE

    def send(self, message: Message, progress: Progress | None = None) -> None:
        outcome: list[BaseException | bool] = []
        worker = threading.Thread(
            target=lambda: outcome.append(self._notify(message)), daemon=True, name="apprise"
        )
        worker.start()
        worker.join(self.deadline)
        if not outcome:
            raise NotifyError(
                f"{self.label}: 发送超过总时限（{self.deadline:g} 秒）仍未完成，稍后重试。"
            )
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        if not result:
            raise NotifyError(
                f"{self.label}: Apprise 报告发送失败。请用 watcher notify-test 检查。"
            )

    def _notify(self, message: Message) -> BaseException | bool:
        import apprise  # imported lazily: it is slow to import and only needed for its schemes

        app = apprise.Apprise()
        if not app.add(self.url):
            return NotifyError(
                f"{self.label}: Apprise 不认识这个通知地址。请对照 Apprise 文档检查格式。"
            )
        try:
            return bool(app.notify(body=message.text, title=message.title))
        except Exception as exc:  # Apprise plugins raise anything; the outbox needs NotifyError
            return NotifyError(f"{self.label}: 发送失败 ({type(exc).__name__})。")
