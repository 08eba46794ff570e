"""The package layers of docs/architecture.md hold: each package imports only the layers below it, and every
package's public names (`__all__`) exist, so a rename cannot silently break another package."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LAYERS: dict[str, int] = {
    "newsmon": 0,
    "extractors": 1, "classifiers": 1, "places": 1, "stories": 1, "warehouse": 1, "notify": 1,
    "engine": 2,
    "flows": 3,
    "commands": 4,
}  # fmt: skip

# Stages build on each other only where the pipeline's data flows: stories group placed articles.
ALLOWED_SIDEWAYS = {("stories", "places"), ("stories", "warehouse")}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(LAYERS)


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_each_package_imports_only_the_layers_below_it(package: str) -> None:
    wrong = []
    for module in sorted((ROOT / package).rglob("*.py")):
        for imported in imported_packages(module) - {package}:
            below = LAYERS[imported] < LAYERS[package]
            if not below and (package, imported) not in ALLOWED_SIDEWAYS:
                wrong.append(f"{module.relative_to(ROOT)} imports {imported}")
    assert wrong == []


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_every_public_name_of_a_package_exists(package: str) -> None:
    module = importlib.import_module(package)
    public = getattr(module, "__all__", [])
    missing = [name for name in public if not hasattr(module, name)]
    assert missing == []
    assert len(public) == len(set(public)), "a name listed twice in __all__"


def test_no_stage_takes_the_pass_lock_or_opens_the_warehouse() -> None:
    offenders = []
    for package in ("extractors", "classifiers", "places", "stories", "notify"):
        for module in (ROOT / package).rglob("*.py"):
            text = module.read_text(encoding="utf-8")
            if "pass_lock(" in text or "open_warehouse(" in text:
                offenders.append(str(module.relative_to(ROOT)))
    assert offenders == []
