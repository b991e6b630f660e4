"""Getting documents in: ``discover`` (list pages → links), ``fetch`` (polite HTTP, raw bytes
kept), ``decode`` (bytes → text, challenge pages), ``extract`` (page → ``Article``), ``guards``
(soft-404s), ``attachments`` (PDF/DOCX/OFD → text), ``compilation`` (compiled bulletins → their
documents) and ``files`` (local files → text)."""

__all__: list[str] = []
