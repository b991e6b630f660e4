"""The Dockerfile's recipe, run the way it runs (Docker itself cannot run on our machines):
install the package the way `pip install .` does, as the image's non-root user, with the store
in its volume, and check the health command and the default command it declares."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")


def test_dockerfile_declares_what_operations_need() -> None:
    assert re.search(r"^FROM python:3\.1[1-9]-slim", DOCKERFILE, re.M)
    user = re.search(r"^USER (\S+)", DOCKERFILE, re.M)
    assert user and user.group(1) not in ("root", "0")
    assert re.search(r'^VOLUME \["/data"\]', DOCKERFILE, re.M)
    assert "TZ=Asia/Shanghai" in DOCKERFILE and "WATCHER_STORE=/data/" in DOCKERFILE
    assert re.search(r'^HEALTHCHECK .*CMD \["watcher", "health"\]', DOCKERFILE, re.M)
    assert re.search(r'^CMD \["watcher", "run"', DOCKERFILE, re.M)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package installed the way the image installs it (`pip install .`, build isolation)."""
    target = tmp_path_factory.mktemp("image") / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(REPO),
        ],
        check=True,
        timeout=600,
        capture_output=True,
    )
    return target


def test_the_built_package_carries_its_data(installed: Path) -> None:
    """`pip install .` (what the image runs) must ship templates, the demo sites and the data."""
    pkg = installed / "watcher"
    for rel in (
        "deliver/digest/templates/digest.md.j2",
        "web/templates/compare.html",
        "demo/sources.yaml",
        "demo/manifest.json",
        "text/data/vocabulary.txt",
    ):
        assert (pkg / rel).is_file(), f"{rel} is missing from the installed package"
    assert any((pkg / "demo" / "sites").rglob("*.docx")), "demo attachments are missing"


SYSTEM_PYTHON = Path("/usr/bin/python3.11")


@pytest.mark.skipif(
    os.geteuid() != 0, reason="switching to the image's unprivileged user needs root"
)
@pytest.mark.skipif(
    not SYSTEM_PYTHON.exists(), reason="needs a system Python 3.11 the user can run"
)
def test_runs_as_an_unprivileged_user_with_the_store_in_its_volume(
    installed: Path, tmp_path: Path
) -> None:
    # The venv's interpreter lives under /root, which the image's user cannot enter; like the
    # image, run a system interpreter with the installed package (and its dependencies).
    deps = next((REPO / ".venv" / "lib").glob("python3.11/site-packages"))
    blocked = [p for p in deps.parents if p != Path("/") and not p.stat().st_mode & 0o001]
    if blocked:
        pytest.skip(
            f"the checkout's dependencies are not reachable by another user ({blocked[-1]} "
            "is not world-searchable); the image installs them where its user can"
        )
    volume = tmp_path / "data"
    volume.mkdir()
    os.chown(volume, 10001, 10001)
    for p in (tmp_path, *tmp_path.parents, installed, installed.parent):
        if p != Path("/"):
            p.chmod(p.stat().st_mode | 0o005)
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"{installed}:{deps}",
        "LANG": "C.UTF-8",
        "WATCHER_STORE": str(volume / "watcher.db"),
        "TZ": "Asia/Shanghai",
        "WATCHER_CONFIG": str(installed / "watcher" / "demo" / "sources.yaml"),
        "HOME": str(volume),
    }
    args = dict(
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        user=10001,
        group=10001,
        cwd=str(volume),
    )
    status = subprocess.run([str(SYSTEM_PYTHON), "-m", "watcher", "status", "--json"], **args)  # type: ignore[call-overload]
    assert status.returncode == 0, status.stderr
    assert (volume / "watcher.db").stat().st_uid == 10001
    # No daemon has run yet: the HEALTHCHECK must report unhealthy, with a reason.
    health = subprocess.run([str(SYSTEM_PYTHON), "-m", "watcher", "health"], **args)  # type: ignore[call-overload]
    assert health.returncode == 1 and "心跳" in health.stderr
