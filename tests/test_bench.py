"""Every benchmark script still runs: each ``bench/bench_*.py`` in its ``--short`` mode, as a user
would start it, must exit 0 and print a table of measurements (so BENCHMARKS.md can be re-made)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = sorted((REPO / "bench").glob("bench_*.py"))
#: The scripts BENCHMARKS.md reports on; a missing one fails here, not silently.
EXPECTED = {
    "bench_compare.py",
    "bench_directions.py",
    "bench_extract.py",
    "bench_fetch.py",
    "bench_memory.py",
    "bench_normalize.py",
    "bench_revision.py",
    "bench_store.py",
}
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?(?:×|%|s)?(?![\w.])")


def table_rows(output: str) -> list[str]:
    """Lines that look like rows of a table of measurements: three or more numeric cells."""
    return [line for line in output.splitlines() if len(_NUMBER.findall(line)) >= 3]


def test_every_reported_benchmark_exists() -> None:
    assert {p.name for p in SCRIPTS} >= EXPECTED


def test_table_rows_rejects_prose_and_accepts_rows() -> None:
    assert table_rows("national 纲要 done\nno numbers here\n") == []
    assert table_rows("  watcher       0.932  0.986  0.958     17.1\n") != []


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_short_mode_prints_a_table(script: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(script), "--short"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"{script.name} --short failed:\n{proc.stderr[-3000:]}"
    rows = table_rows(proc.stdout)
    assert len(rows) >= 2, f"{script.name} --short printed no table:\n{proc.stdout[-2000:]}"
    assert "Traceback" not in proc.stderr
