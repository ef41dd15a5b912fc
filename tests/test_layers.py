"""The house in layers: imports only point down, as pyproject.toml's contracts say."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = shutil.which("lint-imports") or str(
    Path(sys.executable).with_name("lint-imports")
)


def lint(package_parent: Path) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONPATH": str(package_parent)}
    return subprocess.run(
        [LINT_IMPORTS, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=package_parent,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_every_import_contract_is_kept():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "upward_import", "contract"),
    [
        ("store/base.py", "from ..domain import lookup", "Imports only point down"),
        ("public/pages.py", "from ..staff import auth", "share only what is below"),
        ("domain/lookup.py", "import flask", "nothing knows Flask"),
    ],
)
def test_an_upward_import_breaks_a_contract(tmp_path, module, upward_import, contract):
    shutil.copytree(
        ROOT / "ecitiz_kit",
        tmp_path / "ecitiz_kit",
        ignore=shutil.ignore_patterns("__pycache__", "translations", "templates"),
    )
    path = tmp_path / "ecitiz_kit" / module
    path.write_text(path.read_text() + f"\n{upward_import}  # noqa\n")
    result = lint(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    broken = [line for line in result.stdout.splitlines() if "BROKEN" in line]
    assert any(contract in line for line in broken), result.stdout


def _modules():
    package = ROOT / "ecitiz_kit"
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_module_imports_itself_back_through_others():
    # A cycle "works" only while imports happen in one order; there is none.
    graph = grimp.build_graph("ecitiz_kit")
    cycles = [
        (importer, imported)
        for importer in sorted(graph.modules)
        for imported in graph.find_modules_directly_imported_by(importer)
        if graph.chain_exists(imported=importer, importer=imported)
    ]
    assert cycles == []


@pytest.mark.parametrize("order", ["sorted", "reversed"])
def test_every_module_imports_in_a_fresh_interpreter(order):
    # With no cycle (above), the order cannot matter; both ends are tried anyway.
    modules = list(_modules())
    if order == "reversed":
        modules.reverse()
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import importlib, sys\n"
            "for name in sys.argv[1:]:\n    importlib.import_module(name)",
            *modules,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(modules) > 50
