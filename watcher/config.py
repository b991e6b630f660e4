"""Configuration: ``sources.yaml`` plus the environment → ``Config``.

The only module that reads YAML. Every model forbids unknown keys, so a typo is an error, and
every error names the file, the line, the source and the key. Secrets (SMTP passwords, bot
keys) never live in the file: notification URLs may reference ``${ENV_VAR}`` placeholders that
are filled from the environment, and ``WATCHER_NOTIFY_URLS`` adds comma-separated URLs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from watcher.errors import ConfigError
from watcher.models import Level

__all__ = [
    "Config",
    "DetailRules",
    "DigestSettings",
    "DirectionSettings",
    "FetchSettings",
    "ListSpec",
    "NotifySettings",
    "Pair",
    "Settings",
    "Source",
    "Topic",
    "default_store_path",
    "load_config",
    "parse_config",
]

_ENV_REF = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"不是有效的 http(s) 网址: {value!r}")
    return value


class ListSpec(_Model):
    """One list page or list endpoint of a source."""

    url: str
    #: html: CSS selectors; json / jsonp: a JSON document; inline_json: a JS array such as
    #: ``articleList:[…]`` inside an HTML page; was5: MOE's TRS WCM HTML fragments.
    type: Literal["html", "json", "jsonp", "inline_json", "was5"] = "html"
    item: str | None = None  # CSS selector of the <a> elements (html, was5)
    date: str | None = None  # CSS selector, relative to the item's row, for its date
    row: str | None = None  # CSS selector of a row holding item + date (optional)
    json_path: str | None = None  # dotted path to the item array (json/jsonp/inline_json)
    inline_key: str | None = None  # JS key of the inline array, e.g. articleList
    url_field: str = "url"
    title_field: str = "title"
    date_field: str | None = None
    link_pattern: str | None = None  # regex a link must match to count as an article
    pages: int = Field(default=1, ge=1, le=50)  # TRS index.html, index_1.html, …

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return _check_url(v)

    @model_validator(mode="after")
    def _selectors(self) -> ListSpec:
        if self.type in ("html", "was5") and not self.item:
            raise ValueError("列表类型为 html/was5 时必须给出 item 选择器 (key: item)")
        if self.type in ("json", "jsonp") and not self.json_path:
            raise ValueError("列表类型为 json/jsonp 时必须给出 json_path (key: json_path)")
        if self.type == "inline_json" and not self.inline_key:
            raise ValueError("列表类型为 inline_json 时必须给出 inline_key (key: inline_key)")
        if self.link_pattern:
            try:
                re.compile(self.link_pattern)
            except re.error as exc:
                raise ValueError(f"link_pattern 不是有效的正则表达式: {exc}") from exc
        return self


class DetailRules(_Model):
    """Per-source selectors for detail pages; tried before the built-in CMS templates."""

    title: str | None = None
    body: str | None = None
    meta_table: str | None = None  # element holding label/value cells
    remove: tuple[str, ...] = ()  # selectors removed from the body before reading text


class Source(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    level: Level
    lists: tuple[ListSpec, ...] = Field(min_length=1)
    detail: DetailRules = DetailRules()
    allowed_hosts: tuple[str, ...] = ()  # defaults to the hosts of the list URLs
    allow_private: bool = False  # loopback/private addresses (the demo needs this)
    interval_minutes: float = Field(default=360, gt=0)
    cron: str | None = None  # crontab form, e.g. "0 */2 * * *" (Asia/Shanghai); wins over interval
    jitter_seconds: int = Field(default=60, ge=0)
    tags: tuple[str, ...] = ()
    enabled: bool = True
    max_new_per_run: int = Field(default=50, ge=1)
    recheck_per_run: int = Field(
        default=100, ge=0
    )  # known documents re-fetched (conditional GET) per run

    @property
    def hosts(self) -> tuple[str, ...]:
        """Hosts this source may fetch from: configured ones, else the list URLs' hosts."""
        if self.allowed_hosts:
            return self.allowed_hosts
        seen: list[str] = []
        for spec in self.lists:
            host = urlsplit(spec.url).hostname or ""
            if host and host not in seen:
                seen.append(host)
        return tuple(seen)


class FetchSettings(_Model):
    user_agent: str = "Mozilla/5.0 (compatible; policy-watcher/0.1; +research use; polite crawler)"
    timeout_seconds: float = Field(default=20.0, gt=0)
    max_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    per_host_concurrency: int = Field(default=2, ge=1)
    min_delay_seconds: float = Field(default=1.0, ge=0)
    jitter_seconds: float = Field(default=0.5, ge=0)
    retries: int = Field(default=3, ge=0)
    backoff_base_seconds: float = Field(default=1.0, ge=0)
    max_retry_after_seconds: float = Field(default=120.0, ge=0)


class DigestSettings(_Model):
    name: str = "高等职业教育动态"
    publisher: str = "高等职业教育研究所"
    #: numbering continues from a known issue: in ISO week ``week`` the digest was 第issue期·总第total期
    anchor_week: str = Field(default="2026-W47", pattern=r"^\d{4}-W\d{2}$")
    anchor_issue: int = 1
    anchor_total: int = 1
    issues_per_year_reset: bool = True  # 第N期 restarts each year; 总第M期 never does
    weekday: str = "fri"
    hour: int = Field(default=16, ge=0, le=23)
    minute: int = Field(default=0, ge=0, le=59)
    max_directions: int = Field(default=5, ge=1)


class NotifySettings(_Model):
    urls: tuple[str, ...] = ()
    give_up_after_hours: float = Field(default=48.0, gt=0)
    backoff_base_seconds: float = Field(default=30.0, ge=0)
    backoff_max_seconds: float = Field(default=3600.0, ge=0)
    webhook_secret_env: str = "WATCHER_WEBHOOK_SECRET"
    min_severity: Literal["info", "notice", "warning", "critical"] = "notice"


class Topic(_Model):
    name: str
    keywords: tuple[str, ...] = Field(min_length=1)


class Pair(_Model):
    """A configured lineage link: the document titled like ``child`` implements ``parent``."""

    child: str
    parent: str
    relation: Literal["implements", "supersedes"] = "implements"


class DirectionSettings(_Model):
    """Research directions are ranked off the fetch path: ``watcher check`` ranks once at the
    end of a cycle that stored something; the daemon ranks in a job of its own, at most every
    ``rank_every_minutes`` while something new was stored, and always before the digest."""

    rank_every_minutes: int = Field(default=15, ge=1)


class Settings(_Model):
    timezone: str = "Asia/Shanghai"
    fetch: FetchSettings = FetchSettings()
    digest: DigestSettings = DigestSettings()
    directions: DirectionSettings = DirectionSettings()
    notify: NotifySettings = NotifySettings()
    health_failures: int = Field(default=3, ge=1)  # consecutive failed runs before an alert
    fetch_log_days: int = Field(default=90, ge=1)
    heartbeat_stale_seconds: int = Field(default=300, ge=10)
    base_url: str | None = None  # public URL of the web UI, for links


class Config(_Model):
    settings: Settings = Settings()
    topics: tuple[Topic, ...] = ()
    pairs: tuple[Pair, ...] = ()
    sources: tuple[Source, ...] = Field(min_length=1)
    path: str | None = None  # where it was loaded from (set by load_config)

    @model_validator(mode="after")
    def _unique_ids(self) -> Config:
        seen: set[str] = set()
        for s in self.sources:
            if s.id in seen:
                raise ValueError(f"来源 id 重复: {s.id}")
            seen.add(s.id)
        return self

    def source(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        known = ", ".join(s.id for s in self.sources)
        raise ConfigError(f"没有 id 为 {source_id!r} 的来源。已配置的来源: {known}")

    def notify_urls(self, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
        """Configured URLs with ``${VAR}`` filled from the environment, plus WATCHER_NOTIFY_URLS."""
        env = os.environ if environ is None else environ
        urls = [_fill_env(u, env, self.path) for u in self.settings.notify.urls]
        extra = env.get("WATCHER_NOTIFY_URLS", "")
        urls.extend(u.strip() for u in extra.split(",") if u.strip())
        return tuple(dict.fromkeys(urls))


def _fill_env(value: str, env: Mapping[str, str], path: str | None) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in env:
            raise ConfigError(
                f"{path or 'sources.yaml'}: 通知地址引用了环境变量 {name}，但它没有设置。"
                f"请设置 {name} 或从 settings.notify.urls 中删除该地址。"
            )
        return env[name]

    return _ENV_REF.sub(repl, value)


def default_store_path(cli_value: str | None = None) -> Path:
    """``--store`` wins, then ``WATCHER_STORE``, then ``store/watcher.db``."""
    if cli_value:
        p = Path(cli_value)
    elif os.environ.get("WATCHER_STORE"):
        p = Path(os.environ["WATCHER_STORE"])
    else:
        p = Path("store") / "watcher.db"
    if p.suffix != ".db" and (p.is_dir() or not p.suffix):
        p = p / "watcher.db"
    return p


def load_config(path: str | os.PathLike[str]) -> Config:
    p = Path(path)
    try:
        raw_text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"找不到配置文件 {p}。用 --config 指定 sources.yaml 的位置。") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{p}: 配置文件必须是 UTF-8 编码 ({exc})") from exc
    return parse_config(raw_text, str(p))


def parse_config(text: str, filename: str = "sources.yaml") -> Config:
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{filename}: YAML 语法错误: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{filename}: 顶层必须是映射 (settings / topics / pairs / sources)")
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, data, root, filename)) from None
    return cfg.model_copy(update={"path": filename})


def _describe(
    exc: ValidationError, data: dict[str, Any], root: yaml.Node | None, filename: str
) -> str:
    lines = []
    for err in exc.errors()[:5]:
        loc = tuple(err["loc"])
        where = _locate(loc, data)
        line = _line_of(root, loc)
        key = ".".join(str(x) for x in loc) or "(顶层)"
        if err["type"] == "extra_forbidden":
            what = f"未知的键 {loc[-1]!r}"
        elif err["type"] == "missing":
            what = f"缺少必填的键 {loc[-1]!r}"
        else:
            what = str(err["msg"]).removeprefix("Value error, ")
        pos = f"{filename}:{line}" if line else filename
        lines.append(f"{pos}: {where}键 {key}: {what}")
    more = len(exc.errors()) - 5
    if more > 0:
        lines.append(f"……另有 {more} 处错误")
    return "配置无效，请修改后重试:\n  " + "\n  ".join(lines)


def _locate(loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int):
        sources = data.get("sources") or []
        if (
            isinstance(sources, list)
            and loc[1] < len(sources)
            and isinstance(sources[loc[1]], dict)
        ):
            sid = sources[loc[1]].get("id", f"#{loc[1] + 1}")
            return f"来源 {sid}: "
    return ""


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest YAML node on ``loc`` that exists."""
    best: int | None = None
    for part in loc:
        if node is None:
            break
        best = node.start_mark.line + 1
        nxt: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(part):
                    best = k.start_mark.line + 1
                    nxt = v
                    break
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            nxt = node.value[part]
        node = nxt
    if node is not None:
        best = node.start_mark.line + 1
    return best
