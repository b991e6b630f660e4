"""The bundled demo: copies of the watched sites (``sites/``) served on 127.0.0.1 by ``server``."""

__all__: list[str] = []
