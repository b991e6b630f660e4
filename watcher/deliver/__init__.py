"""Telling people: ``alerts`` (what deserves an alert, with dedupe keys), ``outbox`` (the
delivery worker), ``channels`` (e-mail, webhooks, WeCom/DingTalk/Feishu, Apprise), ``feed``
(Atom) and ``digest`` (the weekly bulletin draft in Markdown, HTML and DOCX)."""

__all__: list[str] = []
