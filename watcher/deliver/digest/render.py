"""The digest's Markdown and HTML, rendered from its ``DigestContext`` with Jinja2 templates
(``templates/digest.md.j2``, ``templates/digest.html.j2``; HTML autoescaped, Markdown escaped by
the ``md`` filter)."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2

from watcher.deliver.digest.context import DigestContext

__all__ = ["render_html", "render_markdown"]

TEMPLATES = Path(__file__).parent / "templates"

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def _md(value: object) -> str:
    """Escape Markdown syntax in text taken from documents."""
    text = _MD_SPECIAL.sub(r"\\\1", str(value))
    return re.sub(r"^(\s*)([#>+-])", r"\1\\\2", text, flags=re.M)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = _md
    env.filters["pct"] = lambda v: f"{float(v) * 100:.0f}%"
    return env


def render_markdown(ctx: DigestContext) -> str:
    return _environment().get_template("digest.md.j2").render(d=ctx)


def render_html(ctx: DigestContext) -> str:
    return _environment().get_template("digest.html.j2").render(d=ctx)
