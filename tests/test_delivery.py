"""Delivery against slow and partly refusing receivers: nobody waits for a slow channel, nobody
gets a second copy of what they already acknowledged.

* A webhook that answers 200 and then one byte every few seconds is cut at the delivery deadline;
  a healthy second webhook gets every alert, in one ``deliver`` run and in the daemon, where the
  later alerts keep arriving while the slow channel is still being sent.
* An SMTP server (aiosmtpd) that refuses one of two recipients: the accepted one gets one copy,
  however often the refused one is retried.
* A long alert to a group bot is cut to at most three parts with a link to the full text, and a
  bot that rate-limits part 3 gets only part 3 again on retry, never parts 1 and 2.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.loopback import LoopbackServer, Reply
from tests.support.notify import new_alert, notify_config
from tests.support.receiver import Receiver, SmtpSink
from watcher.config import Config
from watcher.deliver.channels import BOT_LIMITS
from watcher.deliver.outbox import channel_rows, channels_from_config, deliver_pending
from watcher.models import Alert
from watcher.store import Store

T0 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
JSON = {"Content-Type": "application/json"}


def _config(urls: list[str], deadline: float | None = None) -> Config:
    limit = f"delivery_deadline_seconds: {deadline}" if deadline else ""
    return notify_config(
        urls,
        min_severity="info",
        notify=f"backoff_base_seconds: 1\n{limit}",
        source="allow_private: true\ninterval_minutes: 6000",
    )


def _alert(n: int, body: str = "") -> Alert:
    return new_alert(n, body=body)


def _json(url: str) -> str:
    return url.replace("http://", "json://")


def _slow(srv: LoopbackServer, seconds_per_byte: float, size: int) -> str:
    """A webhook that answers 200 at once and then drips its body, one byte at a time."""
    srv.route("/slow", Reply(headers=JSON, body=b" " * size, drip=seconds_per_byte, chunk_size=1))
    return _json(srv.url("/slow"))


def _wait(predicate: Callable[[], bool], timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


# ----------------------------------------------------------------------------- slow channel


def test_a_slow_webhook_is_cut_at_the_deadline_and_holds_up_nobody(tmp_path: Path) -> None:
    with LoopbackServer() as srv, Receiver() as healthy:
        # 12 bytes at 0.5 s each: the answer would complete after 6 s, the deadline is 1 s
        config = _config([_slow(srv, 0.5, 12), _json(healthy.url())], deadline=1)
        with Store.open(tmp_path / "w.db", clock=lambda: T0) as store:
            for n in range(3):
                store.add_alert(_alert(n), channel_rows(config, {}))
            report = deliver_pending(
                store, channels_from_config(config, {}), config.settings.notify, now=T0
            )
            assert report.sent == 3 and report.retry == 3
            (reason,) = {reason for _, reason in report.errors}
            assert "总时限" in reason
            # the slow channel's first alert took its deadline; the other two were deferred
            assert srv.hits("/slow") == 1
            assert store.delivery_counts() == {"sent": 3, "pending": 3}
    assert sorted(r.json["title"] for r in healthy.requests) == sorted(
        _alert(n).title for n in range(3)
    )


def test_in_the_daemon_a_slow_webhook_never_holds_up_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from watcher.pipeline import scheduler

    monkeypatch.setattr(scheduler, "OUTBOX_SECONDS", 0.2)
    db = tmp_path / "w.db"
    with LoopbackServer() as srv, Receiver() as healthy:
        # one byte every 2 s for 60 bytes: two minutes (the deadline, 60 s by default, is not
        # what keeps the healthy channel going here)
        config = _config([_slow(srv, 2.0, 60), _json(healthy.url())])
        with Store.open(db) as store:
            store.add_alert(_alert(0), channel_rows(config, {}))
        daemon = scheduler.Daemon(lambda: config, db)
        daemon.start()
        try:
            assert _wait(lambda: srv.hits("/slow") == 1 and len(healthy.requests) >= 1, 20)
            with Store.open(db) as store:
                for n in range(1, 6):
                    store.add_alert(_alert(n), channel_rows(config, {}))
            titles = {_alert(n).title for n in range(6)}
            got = _wait(lambda: titles <= {r.json["title"] for r in healthy.requests}, 20)
            assert got, (
                f"healthy webhook got {len(healthy.requests)} of 6 while the slow one dripped"
            )
            assert srv.hits("/slow") == 1  # still on its first alert, the others wait for it
        finally:
            daemon.stop(timeout=1)


# ----------------------------------------------------------------------------- per recipient


def test_smtp_refusing_one_recipient_never_resends_to_the_other(tmp_path: Path) -> None:
    with SmtpSink() as smtp:
        url = f"mailto://127.0.0.1:{smtp.port}?to=a@example.org,b@example.org&from=w@example.org"
        config = _config([url])
        smtp.refuse("b@example.org")
        with Store.open(tmp_path / "w.db", clock=lambda: T0) as store:
            store.add_alert(_alert(1), channel_rows(config, {}))
            channels = channels_from_config(config, {})
            for hour in range(3):  # three retries while b@ is refused
                report = deliver_pending(
                    store, channels, config.settings.notify, now=T0 + timedelta(hours=hour)
                )
                assert report.retry == 1 and "b@example.org" in report.errors[0][1]
            assert smtp.envelopes == [("a@example.org",)]
            smtp.accept("b@example.org")
            report = deliver_pending(store, channels, config.settings.notify, retry_now=True)
            assert report.sent == 1 and store.delivery_counts() == {"sent": 1}
    assert smtp.envelopes == [("a@example.org",), ("b@example.org",)]
    assert all(m["To"] == "a@example.org, b@example.org" for m in smtp.messages)


# ----------------------------------------------------------------------------- per part


def _wecom(rx: Receiver) -> str:
    return f"wecom://wkey?endpoint={rx.url('/wecom')}"


def _contents(rx: Receiver) -> list[str]:
    return [r.json["markdown"]["content"] for r in rx.accepted]


def test_a_long_chat_message_is_capped_with_a_link_to_the_full_text(tmp_path: Path) -> None:
    body = "\n".join(
        f"（{i}）深化产教融合，推进职业教育与普通教育融通，培养高素质技术技能人才。"
        for i in range(40000)
    )
    assert len(body.encode("utf-8")) > 771 * BOT_LIMITS["wecom"]  # the 771-part alert
    with Receiver() as rx:
        config = _config([_wecom(rx)])
        with Store.open(tmp_path / "w.db", clock=lambda: T0) as store:
            store.add_alert(_alert(1, body), channel_rows(config, {}))
            report = deliver_pending(
                store, channels_from_config(config, {}), config.settings.notify, now=T0
            )
        assert report.sent == 1
    parts = _contents(rx)
    assert len(parts) == 3  # MAX_PARTS
    assert all(len(p.encode("utf-8")) <= BOT_LIMITS["wecom"] for p in parts)
    assert (
        parts[0].startswith("(1/3) 新文件 1") and "全文: http://example.gov.cn/1.html" in parts[-1]
    )


def test_parts_already_delivered_are_never_sent_again(tmp_path: Path) -> None:
    body = "\n".join(
        f"（{i}）深化产教融合，推进职业教育与普通教育融通。" for i in range(140)
    )  # three parts
    with Receiver() as rx:
        rx.ok_then_errcode(2)  # parts 1 and 2 accepted, part 3 rate-limited (errcode 45009)
        config = _config([_wecom(rx)])
        with Store.open(tmp_path / "w.db", clock=lambda: T0) as store:
            store.add_alert(_alert(1, body), channel_rows(config, {}))
            channels = channels_from_config(config, {})
            first = deliver_pending(store, channels, config.settings.notify, now=T0)
            assert first.retry == 1 and "45009" in first.errors[0][1]
            again = deliver_pending(store, channels, config.settings.notify, retry_now=True)
            assert again.sent == 1
    heads = [c.split(" ", 1)[0] for c in _contents(rx)]
    assert heads == ["(1/3)", "(2/3)", "(3/3)"]  # each part once, none twice
    assert len(rx.requests) == 4  # the three parts and the one rate-limited attempt


def test_a_stalling_smtp_server_is_cut_at_the_deadline() -> None:
    """A server that greets and then never answers EHLO: each read alone would wait 30 s."""
    import socket
    import threading

    from watcher.deliver.channels import Message, parse_channel
    from watcher.errors import NotifyError

    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def serve() -> None:
        conn, _ = listener.accept()
        held.append(conn)
        conn.sendall(b"220 stalling ESMTP\r\n")  # and then silence

    threading.Thread(target=serve, daemon=True).start()
    port = listener.getsockname()[1]
    channel = parse_channel(f"mailto://127.0.0.1:{port}?to=a@example.org", timeout=30, deadline=1)
    try:
        with pytest.raises(NotifyError, match="总时限"):
            channel.send(Message(title="标题", body="正文", idempotency_key="k"))
    finally:
        for conn in held:
            conn.close()
        listener.close()
