"""The delivery worker against real receivers and a real SQLite file: nothing lost, nothing twice."""

from __future__ import annotations

import random
import sqlite3
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.notify import new_alert, notify_config
from tests.support.receiver import Receiver, SmtpSink
from watcher.config import NotifySettings
from watcher.deliver.outbox import (
    channel_rows,
    channels_for_alert,
    channels_from_config,
    deliver_pending,
)
from watcher.store import Store

T0 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
SETTINGS = NotifySettings(give_up_after_hours=48, backoff_base_seconds=30, backoff_max_seconds=3600)


_config = notify_config
_alert = new_alert


def _open(path: Path, at: datetime = T0) -> Store:
    return Store.open(path, clock=lambda: at)


def _json(rx: Receiver, path: str = "/hook") -> str:
    return rx.url(path).replace("http://", "json://")


def test_every_alert_arrives_exactly_once_per_channel_across_failures_and_restart(
    tmp_path: Path,
) -> None:
    db = tmp_path / "w.db"
    with Receiver() as hook, Receiver() as bot, SmtpSink() as smtp:
        hook.fail_first(2)  # webhook: two 500s
        bot.errcode_first(1)  # WeCom: one HTTP 200 {"errcode": 40001}
        smtp.fail_next(1)  # SMTP: one 451
        urls = [_json(hook), f"wecom://k3y?endpoint={bot.url('/wecom')}", smtp.url()]
        config = _config(urls)
        env: dict[str, str] = {}
        store = _open(db)
        for n in range(3):
            store.add_alert(_alert(n), channel_rows(config, env))
        rng = random.Random(1)
        first = deliver_pending(store, channels_from_config(config, env), SETTINGS, now=T0, rng=rng)
        assert first.retry >= 3 and first.dead == 0
        store.close()  # the worker stops; a new one takes over
        for i in range(1, 6):
            store = _open(db)
            deliver_pending(
                store,
                channels_from_config(config, env),
                SETTINGS,
                now=T0 + timedelta(hours=i),
                rng=rng,
            )
            store.close()
        store = _open(db)
        assert store.delivery_counts() == {"sent": 9}
        # a further run (even with --retry-now) sends nothing again
        again = deliver_pending(
            store,
            channels_from_config(config, env),
            SETTINGS,
            retry_now=True,
            now=T0 + timedelta(hours=7),
        )
        assert again.attempted == 0
        store.close()
    keys = Counter(r.headers["idempotency-key"] for r in hook.accepted)
    assert len(keys) == 3 and set(keys.values()) == {1}
    assert len(bot.accepted) == 3
    assert sorted(m["Subject"] for m in smtp.messages) == [_alert(n).title for n in range(3)]


def test_delivery_left_in_sending_by_a_crash_is_sent_on_restart(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    with Receiver() as hook:
        config = _config([_json(hook)])
        store = _open(db)
        store.add_alert(_alert(1), channel_rows(config, {}))
        store.add_alert(_alert(2), channel_rows(config, {}))
        d1, d2 = (row["id"] for row in store.due_deliveries(T0.isoformat()))
        store.mark_delivery(d1, status="sending")  # crashed after claiming, before sending
        store.mark_delivery(d2, status="sending")
        store.mark_delivery(d2, status="sent")  # acknowledged just before the crash
        store.close()
        store = _open(db)
        report = deliver_pending(store, channels_from_config(config, {}), SETTINGS, now=T0)
        store.close()
    assert report.sent == 1
    assert [r.json["title"] for r in hook.accepted] == [_alert(1).title]


def test_dead_channel_gives_up_while_others_are_delivered(tmp_path: Path) -> None:
    with Receiver() as good, Receiver() as bad:
        bad.down()
        config = _config([_json(good, "/good"), _json(bad, "/bad")])
        store = _open(tmp_path / "w.db")
        for n in range(4):
            store.add_alert(_alert(n), channel_rows(config, {}))
        channels = channels_from_config(config, {})
        r1 = deliver_pending(store, channels, SETTINGS, now=T0, rng=random.Random(0))
        assert r1.sent == 4 and r1.retry == 4 and r1.dead == 0
        # the down channel was tried once, not once per alert, so it cannot hold up this run
        assert len(bad.requests) == 1
        # not due yet: a plain rerun right away tries nothing
        assert deliver_pending(store, channels, SETTINGS, now=T0).attempted == 0
        late = T0 + timedelta(hours=49)
        r2 = deliver_pending(store, channels, SETTINGS, now=late, rng=random.Random(0))
        assert r2.dead == 4 and r2.sent == 0
        assert store.delivery_counts() == {"sent": 4, "dead": 4}
        failed = store.alerts(status="failed")
        assert len(failed) == 4
        assert all(
            "503" in (d["last_error"] or "")
            for a in failed
            for d in a["deliveries"]
            if d["status"] == "dead"
        )
        store.close()
    assert len(good.accepted) == 4


def test_backoff_grows_and_is_capped(tmp_path: Path) -> None:
    settings = NotifySettings(backoff_base_seconds=60, backoff_max_seconds=600)
    with Receiver() as bad:
        bad.down()
        config = _config([_json(bad)])
        store = _open(tmp_path / "w.db")
        store.add_alert(_alert(1), channel_rows(config, {}))
        channels = channels_from_config(config, {})
        delays = []
        now = T0
        for _ in range(6):
            deliver_pending(store, channels, settings, now=now, rng=random.Random(3))
            (row,) = store.query("SELECT next_attempt_at FROM deliveries")
            nxt = datetime.fromisoformat(row["next_attempt_at"])
            delays.append((nxt - now).total_seconds())
            now = nxt
        store.close()
    assert delays[0] == pytest.approx(60, rel=0.25)
    assert delays[1] == pytest.approx(120, rel=0.25)
    assert delays[2] == pytest.approx(240, rel=0.25)
    assert max(delays) <= 600 * 1.2
    assert delays[-1] == pytest.approx(600, rel=0.25)


def test_secrets_never_reach_the_store(tmp_path: Path) -> None:
    secrets = ["wecomKEY123456", "dingSECRETabc", "mailPASSWORD9", "hookTOKEN777"]
    with Receiver() as bad:
        bad.down()
        config = _config(
            [
                f"wecom://{secrets[0]}?endpoint={bad.url('/w')}",
                f"dingtalk://tok/{secrets[1]}?endpoint={bad.url('/d')}",
                f"mailto://bot:{secrets[2]}@127.0.0.1:1?to=a@b.org",
                f"{_json(bad)}?token={secrets[3]}",
            ]
        )
        store = _open(tmp_path / "w.db")
        store.add_alert(_alert(1), channel_rows(config, {}))
        deliver_pending(store, channels_from_config(config, {}), SETTINGS, now=T0)
        deliver_pending(
            store, channels_from_config(config, {}), SETTINGS, now=T0 + timedelta(days=3)
        )
        store.close()
    conn = sqlite3.connect(tmp_path / "w.db")
    dump = "\n".join(conn.iterdump())
    conn.close()
    assert "dead" in dump
    for secret in secrets:
        assert secret not in dump


def test_env_placeholders_and_extra_urls_become_channels() -> None:
    config = _config(["wecom://${WECOM_KEY}"])
    env = {"WECOM_KEY": "abc123", "WATCHER_NOTIFY_URLS": "json://127.0.0.1:9/x"}
    rows = channel_rows(config, env)
    assert [label for _, label in rows] == ["wecom://abc1***", "json://127.0.0.1:9/x"]
    assert set(channels_from_config(config, env)) == {key for key, _ in rows}


@pytest.mark.parametrize(("severity", "expected"), [("info", 0), ("notice", 1), ("critical", 1)])
def test_min_severity_decides_which_alerts_get_deliveries(severity: str, expected: int) -> None:
    config = _config(["json://127.0.0.1:9/x"], min_severity="notice")
    assert len(channels_for_alert(config, _alert(1, severity), {})) == expected


def test_slow_channel_does_not_delay_the_others(tmp_path: Path) -> None:
    with Receiver() as fast, Receiver(delay=1.0) as slow:
        config = _config([_json(fast, "/fast"), _json(slow, "/slow")])
        store = _open(tmp_path / "w.db")
        for n in range(3):
            store.add_alert(_alert(n), channel_rows(config, {}))
        start = time.monotonic()
        report = deliver_pending(
            store, channels_from_config(config, {}, timeout=0.5), SETTINGS, now=T0
        )
        store.close()
    assert report.sent == 3 and report.retry == 3
    assert len(slow.requests) == 1  # timed out once, the rest postponed
    assert all(r.at - start < 0.5 for r in fast.accepted) and len(fast.accepted) == 3


# ----------------------------------------------------------------------------- CLI


def _write_config(tmp_path: Path, urls: list[str]) -> Path:
    cfg = tmp_path / "sources.yaml"
    quoted = ", ".join(f"'{u}'" for u in urls)
    cfg.write_text(
        f"settings:\n  notify:\n    urls: [{quoted}]\nsources:\n  - id: demo\n    name: 演示\n"
        "    level: municipal\n    lists:\n      - url: http://127.0.0.1/list\n        item: a\n",
        encoding="utf-8",
    )
    return cfg


def test_cli_deliver_and_alerts(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from watcher.cli import main

    db = tmp_path / "w.db"
    with Receiver() as good, Receiver() as bad:
        bad.down()
        urls = [_json(good), _json(bad, "/bad")]
        cfg = _write_config(tmp_path, urls)
        with Store.open(db) as store:
            store.add_alert(_alert(1), channel_rows(_config(urls), {}))
        runner = CliRunner()
        args = ["--store", str(db), "--config", str(cfg)]
        result = runner.invoke(main, [*args, "deliver"])
        assert result.exit_code == 0, result.output
        assert "已发送 1 条，稍后重试 1 条，放弃 0 条" in result.output
        assert "503" in result.output
        listing = runner.invoke(main, [*args, "alerts", "--failed"])
        assert "新文件 1" in listing.output and "待发送" in listing.output
        assert "已尝试 1 次" in listing.output
        as_json = runner.invoke(main, [*args, "alerts", "--json"])
        rows = __import__("json").loads(as_json.output)
        assert sorted(d["status"] for d in rows[0]["deliveries"]) == ["pending", "sent"]
        bad.up()
        again = runner.invoke(main, [*args, "deliver", "--retry-now"])
        assert "已发送 1 条，稍后重试 0 条" in again.output
    assert len(good.accepted) == 1 and len(bad.accepted) == 1


def test_cli_notify_test(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from watcher.cli import main

    runner = CliRunner()
    with Receiver() as rx:
        ok = runner.invoke(
            main,
            [
                "--config",
                str(tmp_path / "none.yaml"),
                "notify-test",
                f"wecom://secretkey99?endpoint={rx.url('/w')}",
            ],
        )
        assert ok.exit_code == 0, ok.output
        assert "测试消息已发送: wecom://secr***" in ok.output
        assert "policy-watcher 测试消息" in rx.requests[0].json["markdown"]["content"]
        rx.errcode_first(1)
        bad = runner.invoke(
            main,
            [
                "--config",
                str(tmp_path / "none.yaml"),
                "notify-test",
                f"wecom://secretkey99?endpoint={rx.url('/w')}",
            ],
        )
    assert bad.exit_code == 1
    assert "40001" in bad.output and "secretkey99" not in bad.output


def test_a_second_delivery_worker_skips_the_channel_being_sent_and_sends_the_others(
    tmp_path: Path,
) -> None:
    """Two workers at once (the daemon's job and a manual `watcher deliver`) would both send the
    same pending alert: the second skips each channel the first holds, and sends the others."""
    from watcher.deliver.channels.redaction import channel_key
    from watcher.locks import store_lock

    with Receiver() as busy, Receiver() as free, _open(tmp_path / "w.db") as store:
        config = _config([_json(busy), _json(free)])
        store.add_alert(_alert(1), channel_rows(config, {}))
        channels = channels_from_config(config, {})
        with store_lock(store.path, f"deliver-{channel_key(_json(busy))[:16]}", "held"):
            report = deliver_pending(store, channels, SETTINGS, now=T0)
        assert report.sent == 1 and report.busy == [_json(busy)]
        assert "另一个投递进程" in report.summary()
        assert busy.requests == [] and len(free.requests) == 1
        assert store.delivery_counts() == {"pending": 1, "sent": 1}  # skipped, not failed
        assert deliver_pending(store, channels, SETTINGS, now=T0).sent == 1  # free again
    assert len(busy.requests) == 1 and len(free.requests) == 1
