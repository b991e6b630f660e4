"""The one exception tree of policy-watcher.

Every error a user can meet is a ``WatcherError``; its message says what went wrong *and what to
do about it*. The CLI turns it into one line on stderr and an exit code; the daemon logs it and
carries on with the next source.

    WatcherError
    ├── ConfigError          sources.yaml or the environment is wrong (names file, source, key)
    ├── FetchError           a URL could not be fetched into usable bytes
    │   ├── BlockedError     an anti-bot / WAF challenge page (412, 521, __jsl_clearance, $_ts, …)
    │   ├── TooLargeError    the body passed the size cap
    │   ├── OffsiteError     a redirect or link left the source's allowed hosts
    │   └── HTTPStatusError  a final non-success status after retries (carries .status)
    ├── ExtractError         bytes that cannot be turned into text (unsupported or broken file)
    │   ├── UnsafeInputError an archive/XML that looks like a bomb or an entity attack
    │   └── LayoutChangedError a page whose selectors stopped matching (a site redesign)
    ├── StoreError           the SQLite store cannot be opened, migrated, written or locked
    ├── CompareError         two documents cannot be compared (e.g. one has no text)
    ├── NotifyError          a channel URL is malformed or a delivery failed
    └── AccountError         a web account cannot be created or changed (name, role, password)
"""

from __future__ import annotations

__all__ = [
    "AccountError",
    "BlockedError",
    "CompareError",
    "ConfigError",
    "ExtractError",
    "FetchError",
    "HTTPStatusError",
    "LayoutChangedError",
    "NotifyError",
    "OffsiteError",
    "StoreError",
    "TooLargeError",
    "UnsafeInputError",
    "WatcherError",
]


class WatcherError(Exception):
    """Base of every error policy-watcher raises on purpose."""

    exit_code = 1


class ConfigError(WatcherError):
    """The configuration is invalid. The message names the file, the source and the key."""

    exit_code = 2


class FetchError(WatcherError):
    """A URL could not be fetched. ``url`` is the URL asked for."""

    def __init__(self, message: str, *, url: str = "", retryable: bool = False) -> None:
        super().__init__(message)
        self.url = url
        self.retryable = retryable


class BlockedError(FetchError):
    """The site answered with an anti-bot challenge instead of content."""


class TooLargeError(FetchError):
    """The response body exceeded the configured size cap."""


class OffsiteError(FetchError):
    """A redirect or link pointed outside the source's allowed hosts."""


class HTTPStatusError(FetchError):
    """A non-success HTTP status remained after the allowed retries."""

    def __init__(
        self, message: str, *, url: str = "", status: int, retryable: bool = False
    ) -> None:
        super().__init__(message, url=url, retryable=retryable)
        self.status = status


class ExtractError(WatcherError):
    """Bytes could not be turned into text (broken or unsupported file)."""


class UnsafeInputError(ExtractError):
    """An input looks hostile (zip bomb, XML entity expansion, path traversal)."""


class LayoutChangedError(ExtractError):
    """A list or detail page answered, but the source's selectors found nothing (or far less
    than usual) in it: the site's page structure has probably changed. Carries the page's
    ``url``, the ``selector`` that stopped matching and the ``reason``."""

    def __init__(self, url: str, selector: str, reason: str) -> None:
        super().__init__(f"页面结构可能已改版：{url} 用选择器「{selector}」{reason}")
        self.url = url
        self.selector = selector
        self.reason = reason


class StoreError(WatcherError):
    """The store cannot be opened, migrated, written or locked."""

    exit_code = 3


class CompareError(WatcherError):
    """Two documents cannot be compared."""


class NotifyError(WatcherError):
    """A notification channel is misconfigured or a delivery failed."""


class AccountError(WatcherError):
    """A web account cannot be created or changed: bad name, unknown role, weak password."""

    exit_code = 2
