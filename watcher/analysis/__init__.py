"""What changed and what it means: ``diff`` (version against version, aligned by section),
``lineage`` (which document a plan implements or replaces), ``compare`` and ``targets`` (a plan
against its parent), ``report`` (comparison and diff as Markdown/HTML), ``candidates`` and
``directions`` (ranked 推荐研究方向 with evidence). Pure: stores are reached through Protocols."""

__all__: list[str] = []
