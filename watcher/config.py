"""Configuration: ``sources.yaml`` plus the environment → ``Config``.

The only module that reads YAML. Every model forbids unknown keys, so a typo is an error, and
every error names the file, the line, the source and the key. Secrets (SMTP passwords, bot
keys) never live in the file: notification URLs may reference ``${ENV_VAR}`` placeholders that
are filled from the environment (an unset one is an error when the file loads), and
``WATCHER_NOTIFY_URLS`` adds URLs (see ``split_notify_urls``).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import soupsieve
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from watcher.errors import ConfigError, WatcherError
from watcher.labels import LEVEL_LABEL, level_code
from watcher.models import Level
from watcher.periods import normalize_week

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
    "WebSettings",
    "default_store_path",
    "load_config",
    "parse_config",
    "split_notify_urls",
]

_ENV_REF = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")
_URL_SEPARATOR = re.compile(r"\s+|,\s*(?=[A-Za-z][A-Za-z0-9+.-]*://)")
log = logging.getLogger(__name__)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_selector(value: str | None) -> str | None:
    """A CSS selector soupsieve can compile (the list pages are read with it), else a Chinese
    error naming the selector; an invalid one must never reach a cycle as a traceback."""
    if value is None:
        return None
    try:
        soupsieve.compile(value)
    except soupsieve.SelectorSyntaxError as exc:
        where = f"（第 {exc.col} 个字符附近有误）"
    except (NotImplementedError, ValueError):  # pseudo-elements (::before) and the like
        where = "（含有不支持的写法，如 ::before 伪元素）"
    else:
        return value
    raise ValueError(
        f"CSS 选择器 {value!r} 无法解析{where}，"
        "请检查括号、引号和冒号，例如 “#list li a” 或 “div.TRS_UEDITOR”"
    )


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

    @field_validator("item", "date", "row")
    @classmethod
    def _selector(cls, v: str | None) -> str | None:
        return _check_selector(v)

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

    @field_validator("title", "body", "meta_table")
    @classmethod
    def _selector(cls, v: str | None) -> str | None:
        return _check_selector(v)

    @field_validator("remove")
    @classmethod
    def _removals(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for selector in v:
            _check_selector(selector)
        return v


class Source(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    level: Level
    lists: tuple[ListSpec, ...] = Field(min_length=1)
    detail: DetailRules = DetailRules()
    allowed_hosts: tuple[str, ...] = ()  # defaults to the hosts of the list URLs
    #: ports fetched besides those of the list URLs (80 and 443 always go together)
    allowed_ports: tuple[int, ...] = ()
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

    @field_validator("level", mode="before")
    @classmethod
    def _level(cls, v: object) -> object:
        """``level: 市级`` and ``level: municipal`` are the same level."""
        return (level_code(v) or v) if isinstance(v, str) else v

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
    anchor_week: str = "2026-W47"  # an ISO week, or any date in it (2026-11-20)
    anchor_issue: int = 1
    anchor_total: int = 1
    issues_per_year_reset: bool = True  # 第N期 restarts each year; 总第M期 never does
    weekday: str = "fri"
    hour: int = Field(default=16, ge=0, le=23)
    minute: int = Field(default=0, ge=0, le=59)
    max_directions: int = Field(default=5, ge=1)

    @field_validator("anchor_week", mode="before")
    @classmethod
    def _week(cls, v: object) -> str:
        try:  # YAML reads an unquoted 2026-11-20 as a date
            return normalize_week(str(v))
        except WatcherError as exc:
            raise ValueError(str(exc)) from None


class NotifySettings(_Model):
    urls: tuple[str, ...] = ()
    give_up_after_hours: float = Field(default=48.0, gt=0)
    #: one delivery (connect, send, the whole answer) may take at most this long
    delivery_deadline_seconds: float = Field(default=60.0, gt=0)
    backoff_base_seconds: float = Field(default=30.0, ge=0)
    backoff_max_seconds: float = Field(default=3600.0, ge=0)
    webhook_secret_env: str = "WATCHER_WEBHOOK_SECRET"
    min_severity: Literal["info", "notice", "warning", "critical"] = "notice"


class WebSettings(_Model):
    """The web UI's accounts and sessions (the accounts themselves: ``watcher user add``)."""

    #: every page needs a login, even on 127.0.0.1 (beyond loopback it always does)
    login_required: bool = False
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    #: environment variable holding the key that signs session cookies; unset → a random key
    #: kept in the store
    secret_env: str = "WATCHER_SESSION_SECRET"
    #: wrong passwords in a row (per account name and client address) before logins slow down
    login_failures: int = Field(default=5, ge=1)
    lockout_seconds: float = Field(default=60.0, gt=0)  # first wait; doubles with each failure
    lockout_max_seconds: float = Field(default=3600.0, gt=0)


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
    web: WebSettings = WebSettings()
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
        """Configured URLs with ``${VAR}`` filled from the environment, plus WATCHER_NOTIFY_URLS.

        A URL whose variable is unset is left out (``load_config`` refuses such a file, so this
        only happens when the environment changed later): a missing secret silences that one
        channel and never stops a cycle from storing what it fetched."""
        env = os.environ if environ is None else environ
        urls = []
        for url in self.settings.notify.urls:
            missing = _missing_env(url, env)
            if missing:
                log.warning("notification URL skipped: %s is not set", ", ".join(missing))
                continue
            urls.append(_ENV_REF.sub(lambda m: env[m.group(1)], url))
        urls.extend(split_notify_urls(env.get("WATCHER_NOTIFY_URLS", "")))
        return tuple(dict.fromkeys(urls))

    def check_notify_env(self, environ: Mapping[str, str] | None = None) -> None:
        """ConfigError naming every ``${VAR}`` of ``settings.notify.urls`` that is not set."""
        env = os.environ if environ is None else environ
        missing = list(
            dict.fromkeys(n for u in self.settings.notify.urls for n in _missing_env(u, env))
        )
        if missing:
            names = "、".join(missing)
            raise ConfigError(
                f"{self.path or 'sources.yaml'}: 通知地址引用的环境变量 {names} 没有设置。"
                f"请设置它们，或从 settings.notify.urls 中删除引用它们的地址。"
            )


def _missing_env(value: str, env: Mapping[str, str]) -> list[str]:
    return [m.group(1) for m in _ENV_REF.finditer(value) if m.group(1) not in env]


def split_notify_urls(value: str) -> list[str]:
    """The channel URLs of ``WATCHER_NOTIFY_URLS``: separated by spaces or new lines, or by a
    comma followed by the next ``scheme://`` (a comma inside a URL, as in
    ``mailto://h?to=a@x,b@x``, stays in it)."""
    return [u.strip(",") for u in _URL_SEPARATOR.split(value) if u.strip(",")]


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
    config = parse_config(raw_text, str(p))
    config.check_notify_env()
    return config


def parse_config(text: str, filename: str = "sources.yaml") -> Config:
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ConfigError(_describe_yaml(exc, text, filename)) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{filename}: 顶层必须是映射 (settings / topics / pairs / sources)")
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, data, root, filename)) from None
    return cfg.model_copy(update={"path": filename})


#: PyYAML's problems in Chinese, each with the usual cause; matched by substring.
_YAML_PROBLEMS: tuple[tuple[str, str], ...] = (
    (
        "mapping values are not allowed",
        "这里不能出现“键: 值”。常见原因：冒号后面少了空格、值里含冒号却没加引号，或缩进不对",
    ),
    ("could not find expected ':'", "缺少冒号。每个键后面要写“: ”再写值"),
    ("did not find expected key", "缩进不对或少了冒号：同一层的键必须左对齐"),
    ("did not find expected '-' indicator", "列表项缩进不一致：同一列表的“- ”必须左对齐"),
    ("found character '\\t'", "YAML 不允许用 Tab 缩进，请改用空格"),
    ("cannot start any token", "这个字符不能出现在此处；含特殊字符（@ ` % 等）的值请加引号"),
    ("expected <block end>", "缩进不对：这一行的缩进与上文的层级对不上"),
    ("expected ',' or ']'", "方括号列表没有正确结束：检查逗号和右方括号 ]"),
    ("expected ',' or '}'", "花括号映射没有正确结束：检查逗号和右花括号 }"),
    ("found unexpected end of stream", "文件在引号或括号中途结束：检查引号是否成对"),
    ("found unknown escape character", "双引号中的反斜杠转义无效：正则表达式请改用单引号"),
    ("found undefined alias", "引用了未定义的锚点（*名称 之前必须有 &名称）"),
    ("found duplicate anchor", "锚点名称重复（&名称 只能定义一次）"),
    ("expected alphabetic or numeric character", "锚点或别名的名称无效"),
)


def _describe_yaml(exc: yaml.YAMLError, text: str, filename: str) -> str:
    """A YAML syntax error in Chinese: where (file:line:column), the offending line, a hint."""
    mark = getattr(exc, "problem_mark", None)
    problem = str(getattr(exc, "problem", "") or exc)
    hint = next(
        (zh for en, zh in _YAML_PROBLEMS if en in problem),
        "请检查这一行及上一行的缩进、冒号和引号",
    )
    if mark is None:
        return f"{filename}: YAML 语法错误：{hint}。"
    line_no = mark.line + 1
    lines = text.splitlines()
    shown = lines[mark.line].strip() if mark.line < len(lines) else ""
    where = f"{filename}:{line_no}:{mark.column + 1}"
    quoted = f"：「{shown[:80]}」" if shown else ""
    key = re.match(r"^-?\s*([\w.-]+)\s*:", shown)
    at_key = f"键 {key.group(1)}: " if key else ""
    return f"{where}: {at_key}YAML 语法错误（第 {line_no} 行第 {mark.column + 1} 列{quoted}）：{hint}。"


#: pydantic's error types in Chinese; ``{…}`` are filled from the error's context.
_PYDANTIC_MESSAGES: Mapping[str, str] = {
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数（不能带小数）",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "greater_than": "必须大于 {gt}",
    "greater_than_equal": "必须大于或等于 {ge}",
    "less_than": "必须小于 {lt}",
    "less_than_equal": "必须小于或等于 {le}",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多只能有 {max_length} 项",
    "string_too_short": "不能为空",
    "string_pattern_mismatch": "格式不对（应符合 {pattern}）",
    "literal_error": "只能是以下之一：{expected}",
    "tuple_type": "应为列表（每项一行“- …”，或写成 [a, b]）",
    "list_type": "应为列表（每项一行“- …”，或写成 [a, b]）",
    "dict_type": "应为映射（“键: 值”的形式）",
    "model_type": "应为映射（“键: 值”的形式）",
    "model_attributes_type": "应为映射（“键: 值”的形式）",
}
#: What to write instead, by the last key of the error's location.
_KEY_HINTS: Mapping[str, str] = {
    "level": "可写 " + "、".join(f"{zh}/{en}" for en, zh in LEVEL_LABEL.items()),
    "type": "可写 html、json、jsonp、inline_json 或 was5",
    "interval_minutes": "写分钟数，如 180",
    "pages": "写 1 到 50 之间的整数",
    "id": "只能用小写字母、数字、- 和 _，如 cq-jw",
    "anchor_week": "写成 2026-W47 这样的 ISO 周，或这一周里的某一天",
}


def _problem(err: Mapping[str, Any]) -> str:
    """One pydantic error as Chinese: what is wrong, the value given, and what to write."""
    loc = tuple(err["loc"])
    key = str(loc[-1]) if loc else ""
    kind = str(err["type"])
    if kind == "extra_forbidden":
        return f"未知的键 {key!r}（拼写错误？请对照 README 的配置说明）"
    if kind == "missing":
        return f"缺少必填的键 {key!r}"
    if kind == "value_error":  # our own validators already speak Chinese
        return str(err["msg"]).removeprefix("Value error, ")
    ctx = {k: str(v).replace(" or ", ", ") for k, v in (err.get("ctx") or {}).items()}
    template = _PYDANTIC_MESSAGES.get(kind, "取值无效")
    try:
        what = template.format(**ctx)
    except KeyError:
        what = template.split("{", 1)[0].rstrip("（ ")
    given = err.get("input")
    if isinstance(given, str | int | float | bool) and not isinstance(given, dict):
        what += f"，当前写的是 {given!r}"
    hint = _KEY_HINTS.get(key)
    return f"{what}。{hint}" if hint else what


def _describe(
    exc: ValidationError, data: dict[str, Any], root: yaml.Node | None, filename: str
) -> str:
    errors = _root_causes(exc)
    lines = []
    for err in errors[:5]:
        loc = tuple(err["loc"])
        where = _locate(loc, data)
        line = _line_of(root, loc)
        key = ".".join(str(x) for x in loc) or "(顶层)"
        pos = f"{filename}:{line}" if line else filename
        lines.append(f"{pos}: {where}键 {key}: {_problem(err)}")
    more = len(errors) - 5
    if more > 0:
        lines.append(f"……另有 {more} 处错误")
    return "配置无效，请修改后重试:\n  " + "\n  ".join(lines)


def _root_causes(exc: ValidationError) -> list[Any]:
    """The errors without pydantic's echoes: a list whose only item is invalid is also reported
    as too short, which would send the user looking for a second mistake."""
    errors = exc.errors()
    locs = [tuple(e["loc"]) for e in errors]
    return [
        e
        for e, loc in zip(errors, locs, strict=True)
        if not (
            e["type"] == "too_short"
            and any(other[: len(loc)] == loc and other != loc for other in locs)
        )
    ]


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
