"""Accounts and sessions of the web UI, as a user meets them: `watcher user add` at the terminal,
the login form, the 编辑台 for editors only, CSRF-checked forms, slowed-down guessing, logout,
and the audit log. Real SQLite stores, the real app in-process, and a real headless Chromium
typing into the login form."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from starlette.routing import Route
from starlette.testclient import TestClient

from watcher.cli import main
from watcher.config import WebSettings
from watcher.errors import ConfigError
from watcher.store import Store
from watcher.web import AuthOptions, create_app

EDITOR, EDITOR_PW = "alice", "correct horse battery"
VIEWER, VIEWER_PW = "bob", "viewer-password-1"


class Clock:
    """The app's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _cli(db: Path, *args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["--store", str(db), "--config", str(db.parent / "none.yaml"), *args], input=input
    )
    return result.exit_code, result.output


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "watcher.db"
    for name, role, pw in ((EDITOR, "editor", EDITOR_PW), (VIEWER, "viewer", VIEWER_PW)):
        code, out = _cli(path, "user", "add", name, "--role", role, input=f"{pw}\n{pw}\n")
        assert code == 0, out
    return path


@pytest.fixture()
def clock() -> Clock:
    return Clock()


def _client(db: Path, clock: Clock, **options: object) -> TestClient:
    app = create_app(db, auth=AuthOptions(**options), clock=clock)  # type: ignore[arg-type]
    return TestClient(app, follow_redirects=False)


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the form carries a csrf_token field"
    return found.group(1)


def _login(client: TestClient, name: str, password: str, next_: str = "/") -> httpx.Response:
    token = _token(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": token, "next": next_},
    )


# --------------------------------------------------------------------------- the command line


def test_user_commands_keep_only_an_argon2_hash_and_log_every_change(db: Path) -> None:
    code, out = _cli(db, "user", "list")
    assert code == 0 and f"{EDITOR}\t编辑" in out and f"{VIEWER}\t查看者" in out
    with Store.open(db) as store:
        row = store.user(EDITOR)
    assert row is not None and row.password_hash.startswith("$argon2id$")
    assert EDITOR_PW not in db.read_bytes().decode("latin-1")

    code, out = _cli(db, "user", "add", EDITOR, "--role", "viewer", input="x" * 9 + "\n" * 2)
    assert code == 2 and "已存在" in out and "--update" in out
    code, out = _cli(db, "user", "add", "carol", input="short\nshort\n")
    assert code == 2 and "口令太短" in out
    code, out = _cli(db, "user", "add", "有 空格", input="long-enough\nlong-enough\n")
    assert code == 2 and "用户名" in out
    code, out = _cli(db, "user", "add", "carol", input="long-enough\nnot-the-same\n" * 2)
    assert (
        code == 2 and "两次输入的口令不一致" in out and "carol" not in _cli(db, "user", "list")[1]
    )
    code, out = _cli(db, "user", "remove", VIEWER)
    assert code == 0 and VIEWER not in _cli(db, "user", "list")[1]
    code, out = _cli(db, "user", "remove", VIEWER)
    assert code == 2 and "没有名为 bob 的账号" in out

    with Store.open(db) as store:
        log = [(r.action, r.target) for r in reversed(store.audit_log())]
        actors = {r.actor for r in store.audit_log()}
    assert log == [("user_added", EDITOR), ("user_added", VIEWER), ("user_removed", VIEWER)]
    assert all(a.startswith("cli") for a in actors)


def test_serving_beyond_loopback_needs_an_account(tmp_path: Path) -> None:
    code, out = _cli(tmp_path / "empty.db", "serve", "--host", "0.0.0.0")
    assert code == 2 and "watcher user add" in out and "127.0.0.1" in out


def test_a_short_signing_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="WATCHER_SESSION_SECRET"):
        AuthOptions.from_settings(WebSettings(), {"WATCHER_SESSION_SECRET": "abc"}, exposed=True)


# --------------------------------------------------------------------------- logging in


def test_an_editor_logs_in_through_the_form_and_reaches_the_desk(db: Path, clock: Clock) -> None:
    client = _client(db, clock)
    assert client.get("/desk").headers["location"] == "/login?next=/desk"
    form = client.get("/login?next=/desk").text
    for field in ('name="username"', 'name="password"', 'name="csrf_token"'):
        assert field in form
    response = _login(client, EDITOR, EDITOR_PW, next_="/desk")
    assert response.status_code == 303 and response.headers["location"] == "/desk"
    cookie = response.headers["set-cookie"]
    assert "watcher_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie, "plain HTTP on loopback: a Secure cookie would be dropped"
    desk = client.get("/desk")
    assert desk.status_code == 200 and "编辑台" in desk.text and f"{EDITOR}（编辑）" in desk.text
    assert client.get("/").status_code == 200


def test_the_cookie_is_secure_over_https(db: Path, clock: Clock) -> None:
    app = create_app(db, auth=AuthOptions(), clock=clock)
    client = TestClient(app, base_url="https://watcher.example.edu.cn", follow_redirects=False)
    assert "Secure" in client.get("/login").headers["set-cookie"]
    assert "Secure" in _login(client, EDITOR, EDITOR_PW).headers["set-cookie"]


def test_a_viewer_reads_but_is_refused_the_editors_pages(db: Path, clock: Clock) -> None:
    client = _client(db, clock, login_required=True)
    assert client.get("/").headers["location"] == "/login?next=/"
    assert _login(client, VIEWER, VIEWER_PW).status_code == 303
    for path in ("/", "/documents", "/digests", "/feed.atom"):
        assert client.get(path).status_code == 200, path
    for path in ("/desk", "/audit"):
        refused = client.get(path)
        assert refused.status_code == 403 and "只对编辑开放" in refused.text, path
        assert f"{VIEWER}（查看者）" in refused.text and "退出" in refused.text, path
    assert "编辑台" not in client.get("/").text


def test_wrong_credentials_say_so_and_start_no_session(db: Path, clock: Clock) -> None:
    client = _client(db, clock)
    for name, password in ((EDITOR, "wrong password"), ("nobody", EDITOR_PW)):
        page = _login(client, name, password)
        assert page.status_code == 200 and "用户名或口令不正确" in page.text
        assert client.get("/desk").status_code == 303


def test_login_is_refused_without_a_valid_csrf_token(db: Path, clock: Clock) -> None:
    client = _client(db, clock)
    token = _token(client.get("/login").text)
    creds = {"username": EDITOR, "password": EDITOR_PW}
    for data in (creds, {**creds, "csrf_token": token[:-2] + "00"}):
        page = client.post("/login", data=data)
        assert page.status_code == 403 and "Cookie" in page.text
    stranger = _client(db, clock)  # a page elsewhere posting a token it copied: no cookie of ours
    assert stranger.post("/login", data={**creds, "csrf_token": token}).status_code == 403
    assert client.get("/desk").status_code == 303


def test_next_only_leads_to_this_site(db: Path, clock: Clock) -> None:
    client = _client(db, clock)
    for bad in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"):
        client.cookies.clear()
        assert _login(client, EDITOR, EDITOR_PW, next_=bad).headers["location"] == "/"


def test_five_wrong_passwords_in_a_row_slow_logins_down(db: Path, clock: Clock) -> None:
    client = _client(db, clock, login_failures=5, lockout_seconds=60)
    for _ in range(5):
        assert "用户名或口令不正确" in _login(client, EDITOR, "guess").text
    slowed = _login(client, EDITOR, EDITOR_PW)
    assert slowed.status_code == 429 and slowed.headers["retry-after"] == "60"
    assert "60 秒后再试" in slowed.text
    assert client.get("/desk").status_code == 303, "the right password did not get in meanwhile"
    assert client.get("/desk", auth=(EDITOR, EDITOR_PW)).status_code == 401, "nor by Basic auth"

    elsewhere = TestClient(client.app, client=("192.0.2.7", 50000), follow_redirects=False)
    assert _login(elsewhere, EDITOR, EDITOR_PW).status_code == 303, "per name and address"

    clock.advance(59)
    assert _login(client, EDITOR, EDITOR_PW).status_code == 429
    clock.advance(2)
    assert _login(client, EDITOR, "guess again").status_code == 200
    again = _login(client, EDITOR, EDITOR_PW)
    assert again.status_code == 429 and again.headers["retry-after"] == "120", "the wait doubles"
    clock.advance(121)
    assert _login(client, EDITOR, EDITOR_PW).status_code == 303
    client.cookies.clear()
    for _ in range(4):
        _login(client, EDITOR, "guess")
    assert _login(client, EDITOR, EDITOR_PW).status_code == 303, "a success cleared the count"


# --------------------------------------------------------------------------- sessions


def test_logout_needs_the_token_and_ends_the_session_on_the_server(db: Path, clock: Clock) -> None:
    client = _client(db, clock)
    _login(client, EDITOR, EDITOR_PW)
    page = client.get("/desk").text
    stolen = dict(client.cookies)
    assert client.post("/logout").status_code == 403
    assert client.post("/logout", data={"csrf_token": "0" * 64}).status_code == 403
    assert client.get("/desk").status_code == 200, "a forged logout did nothing"
    out = client.post("/logout", data={"csrf_token": _token(page)})
    assert out.status_code == 303 and out.headers["location"] == "/login?out=1"
    assert 'watcher_session=""' in out.headers["set-cookie"]
    assert "你已退出登录" in client.get("/login?out=1").text
    replay = _client(db, clock)
    replay.cookies.update(stolen)
    assert replay.get("/desk").status_code == 303, "the old cookie no longer opens anything"


def test_sessions_end_when_they_expire(db: Path, clock: Clock) -> None:
    client = _client(db, clock, session_hours=2)
    _login(client, EDITOR, EDITOR_PW)
    clock.advance(2 * 3600 - 60)
    assert client.get("/desk").status_code == 200
    clock.advance(120)
    assert client.get("/desk").status_code == 303


def test_a_new_password_or_a_removed_account_ends_its_sessions(db: Path, clock: Clock) -> None:
    editor, viewer = _client(db, clock), _client(db, clock, login_required=True)
    _login(editor, EDITOR, EDITOR_PW)
    _login(viewer, VIEWER, VIEWER_PW)
    new_pw = "a brand new password"
    code, _ = _cli(
        db, "user", "add", EDITOR, "--role", "editor", "--update", input=f"{new_pw}\n" * 2
    )
    assert code == 0
    assert editor.get("/desk").status_code == 303
    assert "用户名或口令不正确" in _login(editor, EDITOR, EDITOR_PW).text
    assert _login(editor, EDITOR, new_pw).status_code == 303
    assert viewer.get("/").status_code == 200
    assert _cli(db, "user", "remove", VIEWER)[0] == 0
    assert viewer.get("/").status_code == 303


def test_the_environment_account_logs_in_and_survives_a_restart(
    tmp_path: Path, clock: Clock
) -> None:
    """The old Basic-auth pair is an account of the login form; a plain password from the
    environment is hashed with a salt fixed per name, so a restart keeps its sessions."""
    db = tmp_path / "w.db"
    env = {"WATCHER_WEB_USER": "editor", "WATCHER_WEB_PASSWORD": "env-password"}
    first = TestClient(
        create_app(
            db, auth=AuthOptions.from_settings(WebSettings(), env, exposed=True), clock=clock
        ),
        follow_redirects=False,
    )
    assert _login(first, "editor", "env-password").status_code == 303
    assert first.get("/desk").status_code == 200
    restarted = TestClient(
        create_app(
            db, auth=AuthOptions.from_settings(WebSettings(), env, exposed=True), clock=clock
        ),
        follow_redirects=False,
    )
    restarted.cookies.update(dict(first.cookies))
    assert restarted.get("/desk").status_code == 200
    changed = {**env, "WATCHER_WEB_PASSWORD": "another-password"}
    after_change = TestClient(
        create_app(
            db, auth=AuthOptions.from_settings(WebSettings(), changed, exposed=True), clock=clock
        ),
        follow_redirects=False,
    )
    after_change.cookies.update(dict(first.cookies))
    assert after_change.get("/desk").status_code == 303, "a new password ends the old sessions"
    with Store.open(db) as store:
        assert store.user("editor") is None, "the environment's account is never stored"


def test_feed_readers_may_still_use_basic_auth(db: Path, clock: Clock) -> None:
    client = _client(db, clock, login_required=True)
    assert client.get("/feed.atom").status_code == 401
    assert "Basic" in client.get("/feed.atom").headers["www-authenticate"]
    assert client.get("/feed.atom", auth=(VIEWER, VIEWER_PW)).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.post("/logout", auth=(EDITOR, EDITOR_PW)).status_code == 403, (
        "Basic credentials read; forms need a session and its token"
    )


# --------------------------------------------------------------------------- forms and the log


def test_every_post_route_refuses_a_missing_or_wrong_token(db: Path, clock: Clock) -> None:
    client = _client(db, clock)
    _login(client, EDITOR, EDITOR_PW)
    posts = [
        r.path for r in client.app.routes if isinstance(r, Route) and "POST" in (r.methods or ())
    ]
    assert "/logout" in posts and "/login" in posts
    for path in posts:
        assert client.post(path, data={}).status_code == 403, path
        assert client.post(path, data={"csrf_token": "x" * 64}).status_code == 403, path
    assert client.get("/desk").status_code == 200


def test_every_post_form_on_the_pages_carries_the_sessions_token(db: Path, clock: Clock) -> None:
    import lxml.html

    client = _client(db, clock)
    _login(client, EDITOR, EDITOR_PW)
    desk = client.get("/desk").text
    token = _token(desk)
    for path in ("/", "/documents", "/digests", "/desk", "/audit", "/login"):
        tree = lxml.html.fromstring(client.get(path).text)
        forms = [f for f in tree.iter("form") if (f.get("method") or "get").lower() == "post"]
        for form in forms:
            values = [i.get("value") for i in form.iter("input") if i.get("name") == "csrf_token"]
            assert values == [token], (path, form.get("action"))
        assert forms or path == "/login", f"{path}: the logout button is a form"


def test_the_audit_log_shows_editors_who_did_what_when(db: Path, clock: Clock) -> None:
    client = _client(db, clock)
    _login(client, VIEWER, "wrong")
    _login(client, VIEWER, VIEWER_PW)
    client.post("/logout", data={"csrf_token": _token(client.get("/").text)})
    _login(client, EDITOR, EDITOR_PW)
    page = client.get("/audit").text
    rows = re.findall(
        r'<tr data-action="(\w+)"><td class="muted">([^<]+)</td><td>([^<]+)</td>', page
    )
    assert [(action, actor) for action, _, actor in rows[:4]] == [
        ("login", EDITOR),
        ("logout", VIEWER),
        ("login", VIEWER),
        ("login_failed", VIEWER),
    ]
    assert rows[0][1] == "2026-12-03 17:00", "shown in the configured zone (UTC+8)"
    assert "登录失败" in page and "添加账号" in page and "testclient" in page


def test_pages_cannot_be_framed_and_personal_pages_are_not_cached(db: Path, clock: Clock) -> None:
    client = _client(db, clock)
    anonymous = client.get("/")
    assert anonymous.headers["x-frame-options"] == "DENY"
    assert anonymous.headers["x-content-type-options"] == "nosniff"
    assert "no-store" not in anonymous.headers.get("cache-control", "")
    _login(client, EDITOR, EDITOR_PW)
    for path in ("/desk", "/", "/login"):
        page = client.get(path)
        assert page.headers["x-frame-options"] == "DENY", path
        assert page.headers["cache-control"] == "private, no-store", path


# --------------------------------------------------------------------------- in a real browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def served(db: Path) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    app = create_app(db, auth=AuthOptions(login_required=True))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.browser
def test_in_chromium_an_editor_logs_in_sees_the_desk_a_viewer_is_refused(served: str) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.goto(f"{served}/desk")
            assert page.url.startswith(f"{served}/login"), "sent to the login form first"
            page.get_by_label("用户名").fill(EDITOR)
            page.get_by_label("口令").fill("not the password")
            page.get_by_role("button", name="登录").click()
            assert "用户名或口令不正确" in page.locator("#error").inner_text()
            page.get_by_label("用户名").fill(EDITOR)
            page.get_by_label("口令").fill(EDITOR_PW)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(f"{served}/desk")
            assert page.locator("h1#desk").inner_text() == "编辑台"
            assert page.locator("#whoami").inner_text() == f"{EDITOR}（编辑）"
            cookie = next(c for c in page.context.cookies() if c["name"] == "watcher_session")
            assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
            assert page.evaluate("document.cookie") == "", "scripts cannot read the session"
            page.get_by_role("button", name="退出").click()
            page.wait_for_url(f"{served}/login?out=1")
            page.goto(f"{served}/desk")
            assert page.url.startswith(f"{served}/login"), "logged out for real"

            page.get_by_label("用户名").fill(VIEWER)
            page.get_by_label("口令").fill(VIEWER_PW)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(f"{served}/desk")
            assert "只对编辑开放" in page.content()
            page.goto(f"{served}/documents")
            assert page.locator("#whoami").inner_text() == f"{VIEWER}（查看者）"
            page.get_by_role("button", name="退出").click()
            page.wait_for_url(f"{served}/login?out=1")
        finally:
            browser.close()
