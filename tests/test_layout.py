"""The package layout keeps its promises: stage packages, declared public names, no reaching into
another package's private modules (httpx's tests/test_exported_members.py is the model)."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import watcher

ROOT = Path(watcher.__file__).parent
MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages([str(ROOT)], prefix="watcher.")
    if not m.name.startswith("watcher.demo.sites")
)
PUBLIC = [
    m
    for m in MODULES
    if not any(part.startswith("_") for part in m.split(".")[1:]) or m.endswith("__main__")
]
STAGES = ("text", "ingest", "analysis", "deliver", "pipeline", "store", "web", "cli", "demo")


def test_the_listing_shows_the_pipeline_stages() -> None:
    packages = sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").exists())
    assert set(STAGES) <= set(packages)
    flat = sorted(p.stem for p in ROOT.glob("*.py") if not p.stem.startswith("_"))
    # Only the values, errors and settings every stage shares live at the top.
    assert flat == [
        "config",
        "errors",
        "labels",
        "locks",
        "models",
        "netloc",
        "periods",
        "records",
        "serialize",
    ]


@pytest.mark.parametrize("name", [m for m in PUBLIC if not m.endswith("__main__")])
def test_every_public_module_declares_exactly_its_public_names(name: str) -> None:
    module = importlib.import_module(name)
    declared = getattr(module, "__all__", None)
    assert declared is not None, f"{name} has no __all__"
    missing = [n for n in declared if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it does not define: {missing}"
    assert len(set(declared)) == len(declared), f"{name}.__all__ names something twice"
    defined_here = [
        n
        for n, obj in vars(module).items()
        if not n.startswith("_")
        and (inspect.isfunction(obj) or inspect.isclass(obj))
        and getattr(obj, "__module__", None) == name
    ]
    undeclared = sorted(set(defined_here) - set(declared))
    assert not undeclared, (
        f"{name} defines public names outside __all__ (make them _private): {undeclared}"
    )


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
            out.extend(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.extend(a.name for a in node.names)
    return out


@pytest.mark.parametrize(
    "path",
    sorted(p for p in ROOT.rglob("*.py") if "sites" not in p.parts),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_module_reaches_into_another_packages_private_module(path: Path) -> None:
    package = ".".join(("watcher", *path.relative_to(ROOT).parent.parts))
    for target in _imports(path):
        parts = target.split(".")
        if parts[0] != "watcher":
            continue
        for i, part in enumerate(parts[1:], 1):
            if part.startswith("_") and not part.startswith("__"):
                owner = ".".join(parts[:i])
                assert package == owner or package.startswith(owner + "."), (
                    f"{path.relative_to(ROOT)} imports {target}, private to {owner}"
                )
                break
