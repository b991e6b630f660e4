"""Traditional → Simplified conversion through OpenCC, created on first use and shared.

One converter per process for every stage that needs it (normalisation of content-farm copies,
identity keys of titles): OpenCC's dictionaries take a few milliseconds to load and are
read-only afterwards, so one instance serves all threads.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["to_simplified"]

_converters: dict[str, Any] = {}
_lock = threading.Lock()


def _converter(config: str) -> Any:
    conv = _converters.get(config)
    if conv is None:
        with _lock:
            conv = _converters.get(config)
            if conv is None:
                import opencc  # compiled clib; imported here so importing us stays cheap

                conv = opencc.OpenCC(config)
                _converters[config] = conv
    return conv


def to_simplified(text: str) -> str:
    """``text`` with every Traditional character converted (OpenCC ``t2s``), unconditionally.

    Callers that must leave Simplified text alone (t2s maps a few Simplified characters too,
    e.g. 覆→复) decide first whether the text is Traditional; see ``normalize``."""
    converted: str = _converter("t2s").convert(text)
    return converted
