"""The web UI's promises: it serves a store the daemon writes through a read-only mount (real
daemon process, real ``mount --bind -o ro``), keeps serving after the daemon stops, accepts non-ASCII passwords, answers hostile ids and queries with
404/400 instead of 500, and sends the security headers."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from watcher.config import WebSettings
from watcher.store import Store
from watcher.web import AuthOptions, create_app


@pytest.fixture
def small_store(tmp_path: Path) -> Path:
    db = tmp_path / "watcher.db"
    with Store.open(db) as store:
        store.save_version(
            url="https://www.moe.gov.cn/a.html",
            identity_key="a",
            title="关于深化现代职业教育体系建设改革的意见",
            text="一、总则\n深化产教融合。",
            text_hash="a",
            source_id=None,
            level="national",
        )
    return db


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_non_ascii_user_and_password_log_in(small_store: Path) -> None:
    env = {"WATCHER_WEB_USER": "教研员", "WATCHER_WEB_PASSWORD": "教研所2026"}
    auth = AuthOptions.from_settings(WebSettings(), env, exposed=True)
    client = TestClient(create_app(small_store, auth=auth), raise_server_exceptions=False)
    assert client.get("/", headers=_basic("教研员", "教研所2026")).status_code == 200
    assert client.get("/", headers=_basic("教研员", "教研所2025")).status_code == 401
    assert client.get("/", headers=_basic("editor", "教研所2026")).status_code == 401
    assert client.get("/", headers={"Authorization": "Basic !!!"}).status_code == 401
    # a forged non-ASCII form token is refused, not a TypeError from compare_digest
    forged = client.post(
        "/login",
        data={"username": "教研员", "password": "教研所2026", "csrf_token": "教研所"},
        follow_redirects=False,
    )
    assert forged.status_code < 500


@pytest.mark.parametrize(
    "path",
    [
        "/documents/99999999999999999999",
        f"/documents/{2**64}/compare",
        f"/diff/1/{2**63}",
    ],
)
def test_ids_past_64_bits_are_not_found(small_store: Path, path: str) -> None:
    response = TestClient(create_app(small_store), raise_server_exceptions=False).get(path)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "query", ["q=%00%00%00", "q=%00", "q=%E6%95%99%00%00", "since=%00", "q=%22%00%22"]
)
def test_control_characters_in_a_query_are_not_a_server_error(
    small_store: Path, query: str
) -> None:
    response = TestClient(create_app(small_store), raise_server_exceptions=False).get(
        f"/documents?{query}"
    )
    assert response.status_code in (200, 400), response.text[:500]


def test_every_response_carries_the_security_headers(small_store: Path) -> None:
    env = {"WATCHER_WEB_USER": "editor", "WATCHER_WEB_PASSWORD": "pw"}
    auth = AuthOptions.from_settings(WebSettings(), env, exposed=True)
    client = TestClient(create_app(small_store, auth=auth))
    for response in (
        client.get("/", headers=_basic("editor", "pw")),
        client.get("/"),  # the 401 too
        client.get("/healthz"),
    ):
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] in ("no-referrer", "same-origin")


# ---------------------------------------------------------------------- read-only serving


def _mounts_ok() -> bool:
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount --bind -o ro / /mnt"], capture_output=True
    )
    return probe.returncode == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.skipif(
    sys.platform != "linux" or not _mounts_ok(),
    reason="needs unshare -m and mount --bind (root in a container) for a real read-only mount",
)
def test_serve_through_a_read_only_mount_while_the_daemon_writes_and_after_it_stops(
    tmp_path: Path, demo_site_root: Path
) -> None:
    from watcher.demo.server import DemoServer

    data = tmp_path / "data"
    data.mkdir()
    db = data / "watcher.db"
    env = {**os.environ, "WATCHER_STORE": str(db), "WATCHER_CONFIG": str(tmp_path / "s.yaml")}
    with DemoServer(root=demo_site_root) as site:
        (tmp_path / "s.yaml").write_text(
            f"""
sources:
  - id: t
    name: 测试站
    level: district
    allow_private: true
    allowed_hosts: [127.0.0.1]
    interval_minutes: 0.05
    jitter_seconds: 0
    lists: [{{url: "{site.base_url}/www.hc.gov.cn/xxgk/gggs/", item: "ul.list li a"}}]
settings: {{fetch: {{min_delay_seconds: 0, jitter_seconds: 0, retries: 0}}}}
""",
            encoding="utf-8",
        )
        daemon = subprocess.Popen(
            [sys.executable, "-m", "watcher", "run"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port = _free_port()
        # The web process sees the data directory as compose's `:ro` volume does.
        serve = subprocess.Popen(
            [
                "unshare",
                "-m",
                "sh",
                "-c",
                f'mount --bind -o ro {data} {data} && exec "$@"',
                "sh",
                sys.executable,
                "-m",
                "watcher",
                "serve",
                "--port",
                str(port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(lambda: Path(f"{db}-wal").exists(), 60, "the daemon's store")
            _wait(lambda: _up(base), 60, "the web UI")
            statuses = [
                httpx.get(base + path, timeout=15).status_code
                for _ in range(12)
                for path in ("/", "/documents", "/healthz")
            ]
            assert statuses == [200] * 36
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=30) == 0
            after = [httpx.get(base + p, timeout=15).status_code for p in ("/", "/documents")]
            assert after == [200, 200]
            assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0
        finally:
            for proc in (daemon, serve):
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        assert "Traceback" not in (serve.stderr.read() if serve.stderr else "")


def _up(base: str) -> bool:
    try:
        return httpx.get(base + "/healthz", timeout=5).status_code in (200, 503)
    except httpx.HTTPError:
        return False


@pytest.fixture
def demo_site_root(tmp_path: Path) -> Path:
    root = tmp_path / "sites"
    site = root / "www.hc.gov.cn" / "xxgk" / "gggs"
    (site / "2025").mkdir(parents=True)
    (site / "index.html").write_text(
        '<html><head><meta charset="utf-8"></head><body><ul class="list">'
        '<li><a href="./2025/t1.html">关于开展职业教育活动周的通知</a></li></ul></body></html>',
        encoding="utf-8",
    )
    (site / "2025" / "t1.html").write_text(
        '<html><head><meta charset="utf-8"><title>关于开展职业教育活动周的通知</title></head>'
        "<body><div class='article'><p>一、活动主题</p><p>围绕产教融合开展展示活动。</p>"
        "</div></body></html>",
        encoding="utf-8",
    )
    return root
