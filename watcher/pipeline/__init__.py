"""The stages in order: ``cycle`` (one cycle over the sources), ``document`` (one document into
the store with everything it causes), ``ranking`` (the week's directions), ``importer`` (local
files) and ``scheduler`` (the daemon that runs all of it on a clock)."""

__all__: list[str] = []
