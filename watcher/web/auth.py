"""Logins, sessions and CSRF for the web UI: who is asking, and may they see or change this.

A login (``POST /login``, form fields ``username``, ``password``, ``csrf_token``) checks the
argon2 hash, starts a session in the store and sets the ``watcher_session`` cookie: an
itsdangerous-signed, timestamped value holding a random session id (the store keeps only its
hash), HttpOnly, SameSite=Lax, Secure when the request came over HTTPS. Every request looks the
session up again, so a logout, a removed account or a new password ends it at once. Each POST
form carries ``csrf_token``, an HMAC of the session id (of a random pre-login id on the login
form) under the signing key: a page of another site can neither read nor forge it. Wrong
passwords are throttled per account name and client address. HTTP Basic credentials still work
for reading (feed readers, scripts); forms need a session. Times come from the injected clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from watcher.config import WebSettings
from watcher.errors import ConfigError
from watcher.store import AuditRow, SessionRow, UserRow
from watcher.web.accounts import (
    ROLE_LABEL,
    Account,
    LoginThrottle,
    env_account,
    verify_password,
)
from watcher.web.pages import Pages

__all__ = ["Auth", "AuthOptions", "AuthStore", "Viewer", "template_context"]

COOKIE = "watcher_session"
ACTION_LABEL = {
    "login": "登录",
    "logout": "退出",
    "login_failed": "登录失败",
    "user_added": "添加账号",
    "user_updated": "修改账号",
    "user_removed": "删除账号",
}
_RANK = {None: 0, "viewer": 1, "editor": 2}


class AuthStore(Protocol):
    """What logins, sessions and the audit page need from the store."""

    def user(self, name: str) -> UserRow | None: ...
    def session(self, id_hash: str) -> SessionRow | None: ...
    def start_session(
        self,
        id_hash: str,
        *,
        user_name: str,
        fingerprint: str,
        expires_at: str,
        ip: str | None,
    ) -> None: ...
    def end_session(self, id_hash: str, *, ip: str | None) -> bool: ...
    def record_audit(
        self, actor: str, action: str, *, target: str = "", detail: str = "", ip: str | None = None
    ) -> None: ...
    def audit_log(self, *, limit: int = 200, actor: str | None = None) -> list[AuditRow]: ...
    def get_meta(self, key: str, default: str | None = None) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...


@dataclass(frozen=True)
class AuthOptions:
    """How the app asks who is there (``from_settings`` reads the config and environment)."""

    login_required: bool = False  # every page needs a login, not only the editors' ones
    session_hours: float = 12.0
    env_account: Account | None = None
    secret: str | None = None  # signing key; None → a random key kept in the store
    secure_cookies: bool = False  # Secure cookies even when the request looks like plain HTTP
    login_failures: int = 5
    lockout_seconds: float = 60.0
    lockout_max_seconds: float = 3600.0

    @classmethod
    def from_settings(
        cls,
        web: WebSettings,
        environ: Mapping[str, str],
        *,
        exposed: bool,
        base_url: str | None = None,
    ) -> AuthOptions:
        """``exposed``: served beyond loopback, where every page needs a login. An account in
        the environment keeps the old Basic-auth rule: then every page needs one too."""
        secret = environ.get(web.secret_env) or None
        if secret is not None and len(secret) < 16:
            raise ConfigError(
                f"环境变量 {web.secret_env} 太短：签名密钥至少要 16 个字符（建议 32 个以上的随机字符），"
                "或删除它，让程序在数据库中生成一个。"
            )
        account = env_account(environ)
        return cls(
            login_required=web.login_required or exposed or account is not None,
            session_hours=web.session_hours,
            env_account=account,
            secret=secret,
            secure_cookies=(base_url or "").startswith("https://"),
            login_failures=web.login_failures,
            lockout_seconds=web.lockout_seconds,
            lockout_max_seconds=web.lockout_max_seconds,
        )


@dataclass(frozen=True)
class Viewer:
    """Who is asking: an account (None: nobody logged in) and the token its forms carry."""

    account: Account | None
    csrf_token: str = ""
    session_hash: str | None = None  # None: no session (anonymous, or HTTP Basic)

    @property
    def role(self) -> str | None:
        return self.account.role if self.account else None


_CURRENT: ContextVar[Viewer | None] = ContextVar("watcher_viewer", default=None)


def template_context() -> dict[str, Any]:
    """What every page's header needs: the viewer of this request and its CSRF token."""
    viewer = _CURRENT.get()
    return {
        "viewer": viewer.account if viewer else None,
        "csrf_token": viewer.csrf_token if viewer else "",
        "role_label": ROLE_LABEL,
    }


class _ClockSigner(TimestampSigner):
    """itsdangerous' timestamp signer on the app's clock, so tests can age a cookie."""

    def __init__(self, *args: Any, clock: Callable[[], datetime], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock().timestamp())


StoreOpener = Callable[[], AbstractContextManager[AuthStore]]
Handler = Callable[[Request, Any], Response]


class Auth:
    """The login, logout, audit and desk pages and the guard every other page goes through."""

    def __init__(
        self,
        open_store: StoreOpener,
        pages: Pages,
        options: AuthOptions,
        clock: Callable[[], datetime],
    ) -> None:
        self.open_store, self.pages, self.options, self.clock = open_store, pages, options, clock
        self.throttle = LoginThrottle(
            clock,
            free=options.login_failures,
            base=options.lockout_seconds,
            cap=options.lockout_max_seconds,
        )
        self._secret = options.secret
        self.max_age = int(options.session_hours * 3600)

    # ------------------------------------------------------------------ keys and tokens

    def _key(self, store: AuthStore) -> str:
        if self._secret is None:
            key = store.get_meta("session_secret")
            if key is None:
                key = secrets.token_urlsafe(32)
                store.set_meta("session_secret", key)
            self._secret = key
        return self._secret

    def _serializer(self, store: AuthStore) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(
            self._key(store),
            salt="watcher-session",
            signer=_ClockSigner,
            signer_kwargs={"clock": self.clock},
        )

    def _csrf(self, store: AuthStore, token_id: str) -> str:
        mac = hmac.new(self._key(store).encode(), f"csrf:{token_id}".encode(), hashlib.sha256)
        return mac.hexdigest()

    def _cookie(self, request: Request, store: AuthStore) -> dict[str, str]:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return {}
        try:
            data = self._serializer(store).loads(raw, max_age=self.max_age)
        except BadSignature:  # also SignatureExpired
            return {}
        return (
            {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}
        )

    def _set_cookie(
        self, request: Request, response: Response, store: AuthStore, **data: str
    ) -> None:
        response.set_cookie(
            COOKIE,
            self._serializer(store).dumps(data),
            max_age=self.max_age,
            httponly=True,
            samesite="lax",
            secure=self._secure(request),
        )

    def _secure(self, request: Request) -> bool:
        return self.options.secure_cookies or request.url.scheme == "https"

    def _csrf_ok(self, store: AuthStore, token_id: str | None, form: FormData) -> bool:
        sent = form.get("csrf_token")
        return (
            bool(token_id)
            and isinstance(sent, str)
            and hmac.compare_digest(sent, self._csrf(store, token_id or ""))
        )

    # ------------------------------------------------------------------ who is asking

    def account(self, store: AuthStore, name: str) -> Account | None:
        """The stored account of that name, else the environment's."""
        row = store.user(name)
        if row is not None:
            return Account(row.name, row.role, row.password_hash)
        env = self.options.env_account
        return env if env is not None and env.name == name else None

    def identify(self, request: Request, store: AuthStore) -> Viewer:
        sid = self._cookie(request, store).get("s")
        if sid:
            id_hash = _hash(sid)
            row = store.session(id_hash)
            account = self.account(store, row.user_name) if row else None
            if row and account and hmac.compare_digest(account.fingerprint, row.fingerprint):
                return Viewer(account, self._csrf(store, sid), id_hash)
        basic = _basic_credentials(request)
        if basic is not None:
            return Viewer(self._check_password(store, request, *basic))
        return Viewer(None)

    def _check_password(
        self, store: AuthStore, request: Request, name: str, password: str
    ) -> Account | None:
        key = self.throttle.key(name, _address(request))
        if self.throttle.wait_seconds(key):
            return None
        account = self.account(store, name) if name else None
        if verify_password(account.password_hash if account else None, password):
            self.throttle.succeeded(key)
            return account
        self.throttle.failed(key)
        store.record_audit(
            account.name if account else "?",
            "login_failed",
            target=account.name if account else "",
            detail="" if account else "未知用户名",
            ip=_address(request),
        )
        return None

    def _refusal(self, request: Request, viewer: Viewer, need: str | None) -> Response | None:
        if _RANK[viewer.role] >= _RANK[need]:
            return None
        if viewer.account is not None:
            return self.pages.render(
                "message.html",
                403,
                title="没有权限",
                message=f"这个页面只对编辑开放；你以{ROLE_LABEL[viewer.role or 'viewer']}身份登录。",
            )
        if "authorization" in request.headers or request.url.path == "/feed.atom":
            return PlainTextResponse(
                "需要登录",
                status_code=401,
                headers={"WWW-Authenticate": 'Basic realm="policy-watcher"'},
            )
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(wanted)}", status_code=303)

    def page(self, handler: Handler, need: str | None = "read") -> Callable[[Request], Response]:
        """The endpoint for ``handler(request, store)``; ``need``: None (anyone), "read" (anyone
        unless logins are required, then a viewer), "viewer" or "editor"."""
        if need == "read":
            need = "viewer" if self.options.login_required else None

        def endpoint(request: Request) -> Response:
            with self.open_store() as store:
                viewer = self.identify(request, store)
                with _as(viewer):
                    refused = self._refusal(request, viewer, need)
                    return refused if refused is not None else handler(request, store)

        return endpoint

    def action(
        self, handler: Callable[[Request, Any, Viewer, FormData], Response], need: str = "editor"
    ) -> Callable[[Request], Awaitable[Response]]:
        """The endpoint of a POST form: refused without a session of rank ``need`` and a valid
        ``csrf_token``; then ``handler(request, store, viewer, form)``."""

        async def endpoint(request: Request) -> Response:
            form = await request.form()
            return await run_in_threadpool(checked, request, form)

        def checked(request: Request, form: FormData) -> Response:
            with self.open_store() as store:
                viewer = self.identify(request, store)
                with _as(viewer):
                    refused = self._refusal(request, viewer, need)
                    if refused is not None:
                        return refused
                    if viewer.session_hash is None or not hmac.compare_digest(
                        str(form.get("csrf_token") or ""), viewer.csrf_token
                    ):
                        return self._csrf_refusal()
                    return handler(request, store, viewer, form)

        return endpoint

    def _csrf_refusal(self) -> Response:
        return self.pages.render(
            "message.html",
            403,
            title="表单已失效",
            message="这个表单不是从本站当前的登录会话提交的（缺少或不匹配 csrf_token）。请回到页面刷新后再提交。",
        )

    # ------------------------------------------------------------------ pages

    def login_form(self, request: Request) -> Response:
        with self.open_store() as store:
            viewer = self.identify(request, store)
            cookie = self._cookie(request, store)
            nonce = cookie.get("a") or secrets.token_urlsafe(24)
            with _as(viewer):
                response = self._login_page(store, request, nonce, 200)
            if "a" not in cookie and viewer.session_hash is None:
                self._set_cookie(request, response, store, a=nonce)
            return response

    def _login_page(
        self,
        store: AuthStore,
        request: Request,
        nonce: str,
        status: int,
        error: str = "",
        next_: str | None = None,
    ) -> Response:
        """The form; ``next_`` (else ``?next=``) is where a successful login goes."""
        notice = "你已退出登录。" if request.query_params.get("out") == "1" else ""
        return self.pages.render(
            "login.html",
            status,
            title="登录",
            login_token=self._csrf(store, nonce),
            next=_safe_next(next_ or request.query_params.get("next")),
            error=error,
            notice=notice,
        )

    async def login(self, request: Request) -> Response:
        form = await request.form()
        return await run_in_threadpool(self._login, request, form)

    def _login(self, request: Request, form: FormData) -> Response:
        with self.open_store() as store:
            nonce = self._cookie(request, store).get("a")
            if not self._csrf_ok(store, nonce, form):
                return self.pages.render(
                    "message.html",
                    403,
                    title="无法登录",
                    message="登录表单已失效或浏览器没有带上本站的 Cookie。请允许本站使用 Cookie，"
                    "然后重新打开登录页再试。",
                )
            name = str(form.get("username") or "").strip()
            next_ = _safe_next(str(form.get("next") or ""))
            wait = self.throttle.wait_seconds(self.throttle.key(name, _address(request)))
            if wait:
                page = self._login_page(
                    store,
                    request,
                    nonce or "",
                    429,
                    f"登录失败次数过多，请 {wait} 秒后再试。",
                    next_,
                )
                page.headers["Retry-After"] = str(wait)
                return page
            account = self._check_password(store, request, name, str(form.get("password") or ""))
            if account is None:
                return self._login_page(
                    store, request, nonce or "", 200, "用户名或口令不正确。", next_
                )
            return self._start_session(request, store, account, next_)

    def _start_session(
        self, request: Request, store: AuthStore, account: Account, next_: str
    ) -> Response:
        """A new session id at every login (an id planted before it is worth nothing)."""
        sid = secrets.token_urlsafe(32)
        store.start_session(
            _hash(sid),
            user_name=account.name,
            fingerprint=account.fingerprint,
            expires_at=_iso(self.clock() + timedelta(seconds=self.max_age)),
            ip=_address(request),
        )
        response = RedirectResponse(next_, status_code=303)
        self._set_cookie(request, response, store, s=sid)
        return response

    def logout(
        self, request: Request, store: AuthStore, viewer: Viewer, form: FormData
    ) -> Response:
        if viewer.session_hash:
            store.end_session(viewer.session_hash, ip=_address(request))
        response = RedirectResponse("/login?out=1", status_code=303)
        response.delete_cookie(COOKIE, httponly=True, samesite="lax", secure=self._secure(request))
        return response

    def audit(self, request: Request, store: AuthStore) -> Response:
        return self.pages.render(
            "audit.html",
            title="操作记录",
            rows=store.audit_log(limit=300),
            action_label=ACTION_LABEL,
        )

    def desk(self, request: Request, store: AuthStore) -> Response:
        return self.pages.render("desk.html", title="编辑台")


class _as(AbstractContextManager[None]):
    """Make ``viewer`` the one the templates see while a page renders (a context variable:
    each request runs in its own copy of the context)."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer

    def __enter__(self) -> None:
        self.token = _CURRENT.set(self.viewer)

    def __exit__(self, *exc: object) -> None:
        _CURRENT.reset(self.token)


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        name, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    return name, password


def _safe_next(value: str | None) -> str:
    """Only a path of this site: ``//evil.example`` and ``https://…`` become ``/``."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path in ("/login", "/logout"):
        return "/"
    return value
