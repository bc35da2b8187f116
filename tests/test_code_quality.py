"""Lint and formatting are part of the test suite (ruff is a test dependency), so CI fails on them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=REPO, capture_output=True, text=True)


def test_ruff_check_is_clean():
    result = _ruff("check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = _ruff("format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_holds_the_two_ci_commands():
    text = (REPO / "README.md").read_text()
    assert "<!-- main-job -->" in text and "<!-- test-command -->" in text
    assert "python -m pytest" in text
