"""The import contracts of pyproject.toml (`lint-imports`, run by `make lint`) catch what they are for: an upward
import between apps, and a circle inside an app. Each is planted in a copy of the tree."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")
pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed (pip install -e '.[test]')")


def _copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(".venv", ".git", "var", "node_modules", "test-artifacts",
                                                              "__pycache__", "*.mo", "staticfiles"))
    return tree


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT), "--no-cache"], cwd=tree, capture_output=True, text=True, timeout=300,
                          env={"PATH": str(LINT.parent), "PYTHONPATH": str(tree)})


@pytest.mark.slow
def test_an_upward_import_and_a_circle_are_caught(tmp_path):
    tree = _copy(tmp_path)
    # accounts (a bottom layer) reaching up into pharmacy, and consult's tasks imported by its services
    (tree / "accounts" / "bad_idea.py").write_text("from pharmacy import models  # noqa\n")
    (tree / "consult" / "services" / "bad_circle.py").write_text("from consult import tasks  # noqa\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "accounts is not allowed to import pharmacy" in result.stdout
    assert "No cycles are allowed in consult" in result.stdout
