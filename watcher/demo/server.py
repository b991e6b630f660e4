"""The demo corpus over real HTTP: a loopback server for the bundled fixture sites.

``DemoServer`` serves ``watcher/demo/sites/<host>/<path>`` at ``http://127.0.0.1:PORT/<host>/<path>``
so the whole pipeline can run on a fresh machine without internet. It behaves like the real sites
where that matters to a crawler: per-site charset rules (one GBK site declares its charset only in
``<meta>``), ETag / Last-Modified with 304 answers, directory URLs served from ``index.html``, query
strings ignored (JSON and was5 endpoints are plain files named ``<path>.json`` / ``<path>.html``),
absolute links to the demo hosts rewritten to the local server, pages with a visit counter that
changes on every request, and switchable editions (``<page>.edition2.html``) to show a changed
document. ``demo_config`` turns the shipped ``sources.yaml`` into a ``Config`` pointing at it.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import re
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from watcher.config import Config, parse_config

__all__ = ["DEMO_HOSTS", "SITES_DIR", "DemoServer", "demo_config", "demo_sources_text", "main"]

SITES_DIR = Path(__file__).resolve().parent / "sites"

#: host → charset named in the Content-Type header (None: no charset in the header at all).
#: The GBK district site relies on ``<meta charset="gb2312">``; eol.cn sends UTF-8 with a bare
#: ``text/html``, the "real bug" case from the research notes.
DEMO_HOSTS: dict[str, str | None] = {
    "www.gov.cn": "utf-8",
    "sousuo.www.gov.cn": "utf-8",
    "www.moe.gov.cn": "utf-8",
    "www.cq.gov.cn": "utf-8",
    "jw.cq.gov.cn": "utf-8",
    "www.cqyz.gov.cn": None,
    "www.hc.gov.cn": "utf-8",
    "news.eol.cn": None,
}

_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".shtml": "text/html",
    ".json": "application/json",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
}
_TEXT_TYPES = ("text/html", "application/json")
_EDITION = re.compile(r"\.edition(\d+)(\.[a-z]+)$")
#: Validators are fixed per file and edition, so a restart does not invalidate client caches.
_EPOCH = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
_PLACEHOLDER = re.compile(rb"\{\{(visits|generated)\}\}")


class _Handler(BaseHTTPRequestHandler):
    server: _DemoHTTPServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without NODELAY, Nagle plus delayed ACKs add
        # ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _serve(self, *, head: bool) -> None:
        owner = self.server.owner
        path = urlsplit(self.path).path
        if not path.endswith("/") and owner._is_dir(path):
            # Like a real web server: a directory URL without its slash is redirected, so that
            # relative links on the index page resolve against the directory.
            self._send(301, b"", {"Location": path + "/"}, head)
            return
        found = owner._resolve(path)
        if found is None:
            self._send(
                404,
                b"<html><body><h1>404 Not Found</h1></body></html>",
                {"Content-Type": "text/html; charset=utf-8"},
                head,
            )
            return
        host, file, edition_no = found
        raw = file.read_bytes()
        ctype = _TYPES.get(file.suffix.lower(), "application/octet-stream")
        headers: dict[str, str] = {}
        if ctype in _TEXT_TYPES:
            raw = owner._rewrite_links(raw)
            charset = DEMO_HOSTS.get(host)
            headers["Content-Type"] = f"{ctype}; charset={charset}" if charset else ctype
        else:
            headers["Content-Type"] = ctype
        dynamic = ctype in _TEXT_TYPES and _PLACEHOLDER.search(raw) is not None
        if dynamic:
            # A page that changes on every request carries no validators, like a real CMS page
            # with a live visit counter; only cosmetic text changes.
            raw = owner._fill(raw)
            headers["Cache-Control"] = "no-cache"
        else:
            etag = '"' + hashlib.sha1(raw).hexdigest()[:20] + '"'
            modified = _EPOCH + timedelta(days=edition_no - 1)
            headers["ETag"] = etag
            headers["Last-Modified"] = format_datetime(modified, usegmt=True)
            if self._not_modified(etag, modified):
                self._send(304, b"", headers, head=True)
                return
        self._send(200, raw, headers, head)

    def _not_modified(self, etag: str, modified: datetime) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                return modified <= parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
        return False

    def _send(self, status: int, body: bytes, headers: dict[str, str], head: bool) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and status != 304:
            self.wfile.write(body)


class _DemoHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr: tuple[str, int], owner: DemoServer, verbose: bool) -> None:
        self.owner = owner
        self.verbose = verbose
        super().__init__(addr, _Handler)


class DemoServer:
    """Serves the demo sites on 127.0.0.1 in a background thread.

    Use as a context manager (``with DemoServer() as demo: demo.base_url``) or call ``start()`` and
    ``stop()``. ``set_edition(2)`` makes every page that has a ``.edition2`` file serve it.
    """

    def __init__(self, port: int = 0, *, root: Path | None = None, verbose: bool = False) -> None:
        self.root = (root or SITES_DIR).resolve()
        self._edition = 1
        self._visits = itertools.count(1)
        self._lock = threading.Lock()
        self._httpd = _DemoHTTPServer(("127.0.0.1", port), self, verbose)
        self._thread: threading.Thread | None = None
        host, bound_port = self._httpd.server_address[:2]
        self.base_url = f"http://{host!s}:{bound_port}"

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> DemoServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="demo-server",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---------------------------------------------------------------- behaviour
    @property
    def edition(self) -> int:
        return self._edition

    def set_edition(self, n: int) -> None:
        """Serve edition ``n`` of every page that has one (``<page>.edition<k>.<ext>``, k ≤ n)."""
        if n < 1:
            raise ValueError("edition numbers start at 1")
        self._edition = n

    def url(self, host: str, path: str = "") -> str:
        """Local URL of ``https://<host>/<path>``."""
        return f"{self.base_url}/{host}/{path.lstrip('/')}"

    def _is_dir(self, url_path: str) -> bool:
        parts = [p for p in unquote(url_path).split("/") if p]
        if not parts or parts[0] not in DEMO_HOSTS or any(p in (".", "..") for p in parts):
            return False
        return self.root.joinpath(*parts).is_dir()

    def _resolve(self, url_path: str) -> tuple[str, Path, int] | None:
        parts = [p for p in unquote(url_path).split("/") if p]
        if not parts or parts[0] not in DEMO_HOSTS or any(p in (".", "..") for p in parts):
            return None
        host = parts[0]
        if any(_EDITION.search(p) for p in parts):
            return None  # later editions are reachable only through set_edition
        target = self.root.joinpath(*parts)
        candidates = (
            [target / "index.html"]
            if url_path.endswith("/") or target.is_dir()
            else [
                target,
                target.with_name(target.name + ".json"),
                target.with_name(target.name + ".html"),
            ]
        )
        for cand in candidates:
            if cand.is_file() and cand.resolve().is_relative_to(self.root):
                return (host, *self._edition_of(cand))
        return None

    def _edition_of(self, file: Path) -> tuple[Path, int]:
        for k in range(self._edition, 1, -1):
            alt = file.with_name(f"{file.stem}.edition{k}{file.suffix}")
            if alt.is_file():
                return alt, k
        return file, 1

    def _rewrite_links(self, raw: bytes) -> bytes:
        # Fixture pages link with the real absolute URLs; point them at this server. Hosts are
        # ASCII, so this works on GBK and UTF-8 bytes alike. Longest host first (sousuo.www.gov.cn).
        for host in sorted(DEMO_HOSTS, key=len, reverse=True):
            local = f"{self.base_url}/{host}/".encode()
            for scheme in (b"https://", b"http://"):
                raw = re.sub(
                    re.escape(scheme + host.encode()) + rb"(?=[/\"'\s<])/?",
                    local.replace(b"\\", b"\\\\"),
                    raw,
                )
        return raw

    def _fill(self, raw: bytes) -> bytes:
        with self._lock:
            visits = next(self._visits)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")

        def repl(m: re.Match[bytes]) -> bytes:
            return str(visits).encode() if m.group(1) == b"visits" else stamp.encode()

        return _PLACEHOLDER.sub(repl, raw)


# -------------------------------------------------------------------- configuration


def demo_sources_text() -> str:
    """The ``sources.yaml`` shipped inside the package (a copy of the repository's watch list)."""
    return resources.files("watcher.demo").joinpath("sources.yaml").read_text(encoding="utf-8")


_URL = re.compile(r"https?://([A-Za-z0-9.-]+)(/[^\s\"']*)?")


def demo_config(base_url: str, source_file: str | Path | None = None) -> Config:
    """The watch list with every site URL pointed at the demo server at ``base_url``.

    Loads ``source_file`` (default: the copy shipped in ``watcher/demo/sources.yaml``), rewrites
    ``https://<host>/…`` to ``<base_url>/<host>/…``, allows loopback fetching and shortens the
    intervals so a demo run shows results within minutes.
    """
    if source_file is None:
        text, name = demo_sources_text(), "watcher/demo/sources.yaml"
    else:
        text, name = Path(source_file).read_text(encoding="utf-8"), str(source_file)
    data = yaml.safe_load(text)
    base = base_url.rstrip("/")

    def local(url: str) -> str:
        m = _URL.fullmatch(url)
        if m is None:
            return url
        return f"{base}/{m.group(1)}{m.group(2) or '/'}"

    for src in data.get("sources", []):
        for spec in src.get("lists", []):
            spec["url"] = local(spec["url"])
        src["allowed_hosts"] = ["127.0.0.1"]
        src["allow_private"] = True
        src["interval_minutes"] = 1
        src["jitter_seconds"] = 0
        src.pop("cron", None)
    fetch = data.setdefault("settings", {}).setdefault("fetch", {})
    fetch["min_delay_seconds"] = 0
    fetch["jitter_seconds"] = 0
    fetch["retries"] = 1
    return parse_config(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), f"{name} (demo)")


def main(argv: list[str] | None = None) -> None:
    """``python -m watcher.demo.server``: serve the demo sites until Ctrl-C."""
    parser = argparse.ArgumentParser(description="演示站点服务器（本机 127.0.0.1，无需联网）")
    parser.add_argument("--port", type=int, default=8765, help="端口（默认 8765；0 表示随机）")
    parser.add_argument("--edition", type=int, default=1, help="提供第几版页面（默认 1）")
    parser.add_argument("-v", "--verbose", action="store_true", help="打印每个请求")
    args = parser.parse_args(argv)
    server = DemoServer(args.port, verbose=args.verbose)
    server.set_edition(args.edition)
    server.start()
    print(f"演示站点已启动: {server.base_url}/  （第 {args.edition} 版，Ctrl-C 退出）")
    cfg = demo_config(server.base_url)
    for src in cfg.sources:
        for spec in src.lists:
            print(f"  {src.name}: {spec.url}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("已停止。")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
