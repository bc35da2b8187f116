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


def test_the_documented_json_schema_is_generated_from_the_types():
    result = subprocess.run(
        [sys.executable, "scripts/gen_formats.py", "--check"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def _imports(path: Path) -> list[str]:
    """The modules a Python file imports (absolute imports, at any depth)."""
    import ast

    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return found


def test_the_layers_keep_their_rules():
    """Nothing outside buildprof/traces imports its private modules; analysis and render import no
    reader or store (ninja, traces, history, git), no CLI and no pipeline (they take and give model
    types); only cli knows about click."""
    package = REPO / "buildprof"
    for path in [*package.rglob("*.py"), *(REPO / "scripts").glob("*.py")]:
        inside = path.relative_to(REPO).parts
        imports = _imports(path)
        if inside[:2] != ("buildprof", "traces"):
            private = [m for m in imports if m.startswith("buildprof.traces._")]
            assert not private, f"{path} imports {private}"
        if inside[:2] in (("buildprof", "analysis"), ("buildprof", "render")):
            upper = (
                "buildprof.ninja",
                "buildprof.traces",
                "buildprof.history",
                "buildprof.git",
                "buildprof.cli",
                "buildprof.pipeline",
            )
            readers = [m for m in imports if m.startswith(upper)]
            assert not readers, f"{path} imports {readers}"
        if inside[:2] != ("buildprof", "cli"):
            assert not [m for m in imports if m == "click" or m.startswith("click.")], path


def test_no_python_file_is_over_400_lines():
    files = [*REPO.glob("buildprof/**/*.py"), *REPO.glob("scripts/*.py"), *REPO.glob("tests/*.py")]
    long = {str(p.relative_to(REPO)): n for p in files if (n := len(p.read_text().splitlines())) > 400}
    assert not long, long
