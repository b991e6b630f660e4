"""Shared pytest fixtures. Area-specific fixtures live in tests/support/ modules."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"


def seed_path(prefix: str) -> Path:
    """Path of a seed document in ../shared/seeds, or skip the test when it is absent."""
    if SEEDS.is_dir():
        for p in sorted(SEEDS.iterdir()):
            if p.name.startswith(prefix):
                return p
    pytest.skip(
        f"../shared/seeds/{prefix}_* is not beside this checkout (seeds are not copied into the repo)"
    )


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The demo run once per test session: two cycles over the bundled sites (the second sees
    the revised edition). Returns the store path and both cycle reports."""
    import asyncio

    from watcher.demo.server import DemoServer, demo_config
    from watcher.pipeline.cycle import Pipeline
    from watcher.store import Store

    path = tmp_path_factory.mktemp("demo") / "watcher.db"
    with DemoServer() as server, Store.open(path) as store:
        config = demo_config(server.base_url)
        first = asyncio.run(Pipeline(config, store).run_cycle())
        server.set_edition(2)
        second = asyncio.run(Pipeline(config, store).run_cycle())
    return {"path": path, "first": first.outcomes, "second": second.outcomes}
