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
    pytest.skip(f"../shared/seeds/{prefix}_* is not beside this checkout (seeds are not copied into the repo)")
