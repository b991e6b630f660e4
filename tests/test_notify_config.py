"""Notification channels as configured: secrets in URLs, missing secrets, the environment list.

* Tokens in a URL path (``json://host/hooks/…/TOKEN``, Slack/Discord-style ``/webhooks/…``) and
  every query value (``sig=…``) never reach the deliveries table, ``watcher alerts --failed`` or
  the web digest page, even when the receiver echoes the URL in its error page.
* An unset ``${ENV}`` in a notification URL is a config error when the file loads, and a cycle
  stores changed pages whatever the environment says later.
* ``WATCHER_NOTIFY_URLS`` keeps commas inside a URL (``mailto://h?to=a@x,b@x``); spaces, new
  lines or a comma before the next ``scheme://`` separate channels; one bad channel never
  blocks the others.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from tests.support.loopback import LoopbackServer, Reply, Request
from tests.support.notify import new_alert, notify_config
from tests.support.receiver import Receiver, SmtpSink
from watcher.cli import main
from watcher.config import Config, NotifySettings, load_config, parse_config
from watcher.deliver.digest import build_digest
from watcher.deliver.outbox import channel_rows, channels_from_config, deliver_pending
from watcher.errors import ConfigError
from watcher.periods import iso_week
from watcher.store import Store
from watcher.web import create_app

T0 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
SETTINGS = NotifySettings(give_up_after_hours=1, backoff_base_seconds=1, backoff_max_seconds=2)
TOKENS = ("HookTok9f3e21", "T0AAA1/B0BBB2/SlackTok77aa", "DiscTok5b6c7d", "SigValue0e0e0e")


def _config(urls: list[str]) -> Config:
    return notify_config(urls, min_severity="info")


_alert = new_alert


def _echo(request: Request) -> Reply:
    # A receiver that names the URL it was asked for in its error page, as many do.
    return Reply(status=404, body=f"no webhook at {request.path}", headers={"X-Echo": "1"})


def test_path_tokens_and_query_values_are_never_stored_or_shown(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    with LoopbackServer() as srv:
        for path in ("/hooks/a1/HookTok9f3e21", "/services/T0AAA1/B0BBB2/SlackTok77aa"):
            srv.route(path, _echo)
        srv.route("/api/webhooks/12345/DiscTok5b6c7d", _echo)
        srv.route("/hook", _echo)
        base = f"127.0.0.1:{srv.port}"
        urls = [
            f"json://{base}/hooks/a1/HookTok9f3e21",
            f"json://{base}/services/T0AAA1/B0BBB2/SlackTok77aa",
            f"json://{base}/api/webhooks/12345/DiscTok5b6c7d",
            f"json://{base}/hook?sig=SigValue0e0e0e",
        ]
        config = _config(urls)
        with Store.open(db, clock=lambda: T0) as store:
            store.add_alert(_alert(1), channel_rows(config, {}))
            channels = channels_from_config(config, {})
            # every attempt fails with the echoing 404; two hours later they are given up
            deliver_pending(store, channels, SETTINGS, now=T0)
            deliver_pending(store, channels, SETTINGS, now=T0 + timedelta(hours=2))
            assert store.delivery_counts() == {"dead": 4}
            build_digest(store, iso_week(T0), config.settings.digest)
            table = "\n".join(
                " | ".join(str(v) for v in row)
                for row in store.conn.execute("SELECT * FROM deliveries")
            )
        assert len(srv.requests) == 8  # the requests did carry the tokens
    cli = CliRunner().invoke(main, ["--store", str(db), "alerts", "--failed"])
    cli_json = CliRunner().invoke(main, ["--store", str(db), "alerts", "--failed", "--json"])
    assert cli.exit_code == 0 and cli.output.count("已放弃 → json://") == 4, cli.output
    web = TestClient(create_app(db)).get(f"/digests/{iso_week(T0)}")
    assert web.status_code == 200 and "json://" in web.text  # the failed channels are listed
    texts = {"deliveries table": table, "alerts --failed": cli.output + cli_json.output}
    texts["web digest page"] = web.text
    for where, text in texts.items():
        for token in TOKENS:
            for piece in token.split("/"):
                assert piece not in text, f"{piece} shown in {where}"
    assert f"json://{base}/hooks/***" in table and f"json://{base}/hook?sig=***" in table


# ----------------------------------------------------------------------------- ${ENV}

ENV_CONFIG = """
settings:
  notify:
    urls:
      - "wecom://${WECOM_KEY}"
sources:
  - id: demo
    name: 演示
    level: municipal
    allow_private: true
    lists:
      - url: LIST
        item: "ul li a"
"""


def test_an_unset_secret_is_a_config_error_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(ENV_CONFIG.replace("LIST", "http://127.0.0.1/list"), encoding="utf-8")
    monkeypatch.delenv("WECOM_KEY", raising=False)
    with pytest.raises(ConfigError, match="WECOM_KEY"):
        load_config(path)
    monkeypatch.setenv("WECOM_KEY", "k3y")
    assert load_config(path).notify_urls() == ("wecom://k3y",)


def test_storing_never_depends_on_a_notification_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from watcher.pipeline.cycle import Pipeline

    def page(extra: str) -> str:
        return (
            "<html><head><meta charset='utf-8'><title>关于开展职业教育活动周的通知</title></head>"
            "<body><div class='article'><h1>关于开展职业教育活动周的通知</h1><p>一、活动主题</p>"
            f"<p>（一）技能照亮前程。围绕产教融合开展展示活动，组织职业院校开放校园。{extra}</p>"
            "</div></body></html>"
        )

    html = {"Content-Type": "text/html; charset=utf-8"}
    with LoopbackServer() as srv, Store.open(tmp_path / "w.db") as store:
        srv.route(
            "/list/", Reply(body='<ul><li><a href="/d.html">通知</a></li></ul>', headers=html)
        )
        srv.route("/d.html", Reply(body=page(""), headers=html))
        text = ENV_CONFIG.replace("LIST", srv.url("/list/"))
        fast = "  fetch: {min_delay_seconds: 0, jitter_seconds: 0, retries: 0}\n"
        text = text.replace("settings:\n", "settings:\n" + fast)
        monkeypatch.setenv("WECOM_KEY", "k3y")
        config = parse_config(text)
        asyncio.run(Pipeline(config, store).run_cycle())
        srv.route("/d.html", Reply(body=page("（二）新增一条：每年五月举办。"), headers=html))
        monkeypatch.delenv("WECOM_KEY")  # the secret went away while the daemon ran
        outcome = asyncio.run(Pipeline(config, store).run_cycle()).outcomes[0]
        assert outcome.new_versions == 1, outcome.error
        (doc,) = store.documents()
        assert "每年五月举办" in store.latest_version_text(doc.id)[1]


# ----------------------------------------------------------------------------- WATCHER_NOTIFY_URLS


def test_commas_inside_a_url_survive_and_a_bad_channel_blocks_nothing(tmp_path: Path) -> None:
    with SmtpSink() as smtp, Receiver() as rx:
        mail = f"mailto://127.0.0.1:{smtp.port}?to=a@example.org,b@example.org&from=w@example.org"
        hook = rx.url("/hook").replace("http://", "json://")
        env = {"WATCHER_NOTIFY_URLS": f"{mail},json://  {hook}\nwecom://"}
        config = _config([])
        assert config.notify_urls(env) == (mail, "json://", hook, "wecom://")
        with Store.open(tmp_path / "w.db", clock=lambda: T0) as store:
            store.add_alert(_alert(1), channel_rows(config, env))
            report = deliver_pending(store, channels_from_config(config, env), SETTINGS, now=T0)
        assert report.sent == 2 and report.retry == 2
        (message,) = smtp.messages
        assert message["To"] == "a@example.org, b@example.org"
        assert [r.json["title"] for r in rx.requests] == [_alert(1).title]
        reasons = " ".join(reason for _, reason in report.errors)
        assert "缺少主机" in reasons and "缺少机器人密钥" in reasons
