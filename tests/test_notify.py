"""Channels against real receivers: a loopback HTTP server and an aiosmtpd SMTP server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from tests.support.receiver import Receiver, SmtpSink
from watcher.deliver.channels import (
    BOT_LIMITS,
    Message,
    parse_channel,
    redact,
    split_message,
    webhook_signature,
)
from watcher.errors import NotifyError

LONG_CHINESE = "\n".join(
    f"（{i}）深化产教融合，推进职业教育与普通教育融通，培养高素质技术技能人才，服务成渝地区双城经济圈建设。"
    for i in range(1, 200)
)

MSG = Message(
    title="新文件：重庆市职业教育行动计划",
    body="发现新文件。\n第二行说明。",
    idempotency_key="pw-abc123",
    kind="new_document",
    severity="notice",
    url="http://example.gov.cn/a.html",
    evidence=({"title": "某文件", "section": "一", "sentence": "加快建设。"},),
    created_at="2026-11-16T08:00:00+00:00",
)


# ----------------------------------------------------------------------------- splitting


@pytest.mark.parametrize("limit", [4096, 20000, 300, 64])
def test_split_respects_byte_limit_and_never_cuts_a_character(limit: int) -> None:
    text = LONG_CHINESE + "\n" + "超长的一行没有换行" * 200
    parts = split_message(text, limit)
    assert len(parts) > 1
    n = len(parts)
    for i, part in enumerate(parts, 1):
        assert len(part.encode("utf-8")) <= limit
        assert part.startswith(f"({i}/{n}) ")
    # nothing lost: stripping the numbers and joining gives back every character
    joined = "".join(p.split(" ", 1)[1].replace("\n", "") for p in parts)
    assert joined == text.replace("\n", "")


def test_split_short_text_is_unchanged() -> None:
    assert split_message("短消息", 4096) == ["短消息"]


def test_split_prefers_line_boundaries() -> None:
    parts = split_message(LONG_CHINESE, BOT_LIMITS["wecom"])
    for part in parts:
        body = part.split(" ", 1)[1]
        for line in body.split("\n"):
            assert line.startswith("（") and line.endswith("。")


# ----------------------------------------------------------------------------- redaction


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("mailto://bot:S3cretPass@smtp.example.org:587?to=a@b.org", "S3cretPass"),
        ("wecom://693axxx6-7aoc-4bc4-97a0-0ec2sifa5aaa", "693axxx6-7aoc-4bc4-97a0-0ec2sifa5aaa"),
        ("dingtalk://tok123456789/SECabcdef", "SECabcdef"),
        ("dingtalk://tok123456789/SECabcdef", "tok123456789"),
        ("feishu://hook-0f1e2d3c/signsecret", "signsecret"),
        ("json://user:pw1234@hooks.example.org/in?token=abcdef", "abcdef"),
        ("json://user:pw1234@hooks.example.org/in?token=abcdef", "pw1234"),
        ("tgram://123456789:AAbbCCddEE/12345", "AAbbCCddEE"),
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", "TIiajkdnlazkcOXrIdevi7FQ"),
    ],
)
def test_redact_hides_secrets(url: str, secret: str) -> None:
    shown = redact(url)
    assert secret not in shown
    assert shown.split("://")[0] == url.split("://")[0]


def test_redact_keeps_what_helps_to_recognise_a_channel() -> None:
    assert redact("mailto://bot:pw@smtp.example.org:587?to=a@b.org") == (
        "mailto://bot:***@smtp.example.org:587?to=a@b.org"
    )
    assert redact("wecom://693axxx6-7aoc") == "wecom://693a***"


# ----------------------------------------------------------------------------- webhook


def test_webhook_posts_documented_json_signed_with_hmac() -> None:
    with Receiver() as rx:
        url = rx.url("/hook").replace("http://", "json://")
        channel = parse_channel(url, environ={"WATCHER_WEBHOOK_SECRET": "k3y"})
        channel.send(MSG)
    (req,) = rx.requests
    body = req.json
    assert set(body) == {"id", "kind", "severity", "title", "body", "url", "evidence", "created_at"}
    assert body["title"] == MSG.title and body["evidence"][0]["sentence"] == "加快建设。"
    assert req.headers["idempotency-key"] == "pw-abc123"
    expected = "sha256=" + hmac.new(b"k3y", req.body, hashlib.sha256).hexdigest()
    assert req.headers["x-watcher-signature"] == expected == webhook_signature("k3y", req.body)


def test_webhook_without_secret_sends_no_signature() -> None:
    with Receiver() as rx:
        parse_channel(rx.url().replace("http://", "json://"), environ={}).send(MSG)
    assert "x-watcher-signature" not in rx.requests[0].headers


@pytest.mark.parametrize("status", [500, 404, 429])
def test_webhook_non_2xx_is_a_failure(status: int) -> None:
    with Receiver() as rx:
        rx.fail_first(1, status=status)
        channel = parse_channel(rx.url().replace("http://", "json://"), environ={})
        with pytest.raises(NotifyError, match=str(status)):
            channel.send(MSG)
        channel.send(MSG)  # the next attempt is accepted
    assert len(rx.accepted) == 1


def test_unreachable_webhook_error_names_no_secret() -> None:
    with Receiver() as rx:
        port = rx.port
    channel = parse_channel(
        f"json://u:topsecretpw@127.0.0.1:{port}/x?token=tok999", environ={}, timeout=2
    )
    with pytest.raises(NotifyError) as err:
        channel.send(MSG)
    assert "topsecretpw" not in str(err.value) and "tok999" not in str(err.value)


# ----------------------------------------------------------------------------- bots


def _bot_url(kind: str, rx: Receiver, token: str, secret: str | None = None) -> str:
    tail = f"/{secret}" if secret else ""
    return f"{kind}://{token}{tail}?endpoint={rx.url('/' + kind)}"


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_bot_errcode_with_http_200_is_a_failure(kind: str) -> None:
    with Receiver() as rx:
        rx.errcode_first(1)
        channel = parse_channel(_bot_url(kind, rx, "tokenXYZ1234"), environ={})
        with pytest.raises(NotifyError, match="40001") as err:
            channel.send(MSG)
        assert "tokenXYZ1234" not in str(err.value)
        channel.send(MSG)
    assert len(rx.requests) == 2 and len(rx.accepted) == 1


def test_wecom_markdown_split_to_4096_bytes() -> None:
    long_msg = Message(title="长消息", body=LONG_CHINESE, idempotency_key="k")
    with Receiver() as rx:
        parse_channel(_bot_url("wecom", rx, "wkey"), environ={}).send(long_msg)
    assert len(rx.requests) == 3  # capped: the rest of the body is cut (see test_delivery.py)
    for req in rx.requests:
        assert req.query["key"] == "wkey"
        assert req.json["msgtype"] == "markdown"
        assert len(req.json["markdown"]["content"].encode("utf-8")) <= 4096
    assert rx.requests[0].json["markdown"]["content"].startswith(f"(1/{len(rx.requests)}) 长消息")


def test_wecom_endpoint_from_environment() -> None:
    with Receiver() as rx:
        channel = parse_channel("wecom://envkey", environ={"WATCHER_WECOM_ENDPOINT": rx.url("/w")})
        channel.send(MSG)
    assert rx.requests[0].path == "/w" and rx.requests[0].query["key"] == "envkey"


def test_dingtalk_signature_verifies() -> None:
    with Receiver() as rx:
        parse_channel(_bot_url("dingtalk", rx, "dtoken", "SECdt"), environ={}).send(MSG)
    req = rx.requests[0]
    ts = req.query["timestamp"]
    mac = hmac.new(b"SECdt", f"{ts}\nSECdt".encode(), hashlib.sha256).digest()
    assert req.query["sign"] == base64.b64encode(mac).decode()
    assert req.query["access_token"] == "dtoken"
    assert req.json["markdown"]["title"] == MSG.title


def test_feishu_signature_in_body() -> None:
    with Receiver() as rx:
        parse_channel(_bot_url("feishu", rx, "hook-1", "fsecret"), environ={}).send(MSG)
    req = rx.requests[0]
    assert req.path == "/feishu/hook-1"
    body = req.json
    mac = hmac.new(f"{body['timestamp']}\nfsecret".encode(), b"", hashlib.sha256).digest()
    assert body["sign"] == base64.b64encode(mac).decode()
    assert body["content"]["text"].startswith(MSG.title)


# ----------------------------------------------------------------------------- email


def test_email_arrives_with_attachment() -> None:
    msg = Message(
        title="本周简报草稿",
        body="见附件。",
        html="<p>见附件</p>",
        idempotency_key="pw-digest-1",
        attachments=(
            (
                "digest.docx",
                b"PK\x03\x04fake",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
        ),
    )
    with SmtpSink() as smtp:
        parse_channel(smtp.url("a@example.org,b@example.org")).send(msg)
    (got,) = smtp.messages
    assert got["Subject"] == "本周简报草稿"
    assert got["To"] == "a@example.org, b@example.org"
    assert "pw-digest-1" in got["Message-ID"]
    files = [p.get_filename() for p in got.iter_attachments()]
    assert files == ["digest.docx"]
    assert "见附件。" in got.get_body(preferencelist=("plain",)).get_content()


def test_email_server_refusal_is_a_failure() -> None:
    with SmtpSink() as smtp:
        smtp.fail_next(1)
        channel = parse_channel(smtp.url())
        with pytest.raises(NotifyError):
            channel.send(MSG)
        channel.send(MSG)
    assert len(smtp.messages) == 1


def test_email_without_recipient_is_rejected_at_parse() -> None:
    with pytest.raises(NotifyError, match="收件人"):
        parse_channel("mailto://u:pw@smtp.example.org")


# ----------------------------------------------------------------------------- Apprise


def test_apprise_url_is_delivered() -> None:
    with Receiver() as rx:
        parse_channel(rx.url("/form").replace("http://", "form://")).send(MSG)
    assert rx.requests and rx.requests[0].path == "/form"
    assert "重庆市职业教育行动计划".encode() in rx.requests[0].body or rx.requests[0].body


def test_apprise_failure_is_notify_error() -> None:
    with Receiver() as rx:
        rx.down()
        channel = parse_channel(rx.url("/form").replace("http://", "form://"))
        with pytest.raises(NotifyError):
            channel.send(MSG)


def test_apprise_unknown_scheme_is_notify_error() -> None:
    with pytest.raises(NotifyError):
        parse_channel("nosuchscheme://whatever/abc").send(MSG)


def test_webhook_payload_is_valid_utf8_json() -> None:
    with Receiver() as rx:
        parse_channel(rx.url().replace("http://", "json://"), environ={}).send(MSG)
    assert json.loads(rx.requests[0].body.decode("utf-8"))["body"] == MSG.body
