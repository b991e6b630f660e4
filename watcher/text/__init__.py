"""Text stage helpers, pure functions on strings: ``normalize`` (the canonical stored text),
``structure`` (section trees), ``identity`` (文号, titles, identity keys), ``dates``, ``numerals``,
``keys`` (folded forms for matching), ``sentences``, ``similarity`` (n-gram TF-IDF, character
diffs), ``terms`` (policy vocabulary and phrases) and ``script`` (Traditional → Simplified)."""

__all__: list[str] = []
