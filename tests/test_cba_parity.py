"""ClangBuildAnalyzer parity: its own test cases, printed by buildprof exactly as it prints them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from trace_helpers import CBA_FIXTURES, SHARED_CBA, demangled, have_demangler, needs_shared, scan_folder

from buildprof.analysis.cba_compat import cba_report, format_cba_text

pytestmark = pytest.mark.skipif(
    not have_demangler(), reason="llvm-cxxfilt and llvm-undname (Debian package llvm-19) are needed"
)


def _lines(text: str) -> list[str]:
    """ClangBuildAnalyzer's own comparison ignores newline characters; blank lines carry nothing."""
    return [line for line in text.replace("\r", "").split("\n") if line.strip()]


def _run_case(source: Path, tmp_path: Path, monkeypatch) -> tuple[list[str], list[str]]:
    # Its expected output names traces `tests/<case>/<file>.json`: run from the folder above `tests/`.
    case = tmp_path / "tests" / source.name
    shutil.copytree(source, case)
    monkeypatch.chdir(tmp_path)
    _, ts = scan_folder(f"tests/{source.name}")
    ours = format_cba_text(cba_report(ts, demangled(ts)))
    expected = (case / "_AnalysisOutputExpected.txt").read_text()
    return _lines(ours), _lines(expected)


@pytest.mark.parametrize("case", sorted(p.name for p in CBA_FIXTURES.iterdir() if p.is_dir()))
def test_bundled_cases_match_clangbuildanalyzer(case, tmp_path, monkeypatch):
    ours, expected = _run_case(CBA_FIXTURES / case, tmp_path, monkeypatch)
    assert ours == expected


@needs_shared
@pytest.mark.parametrize(
    "case", sorted(p.name for p in SHARED_CBA.iterdir() if p.is_dir()) if SHARED_CBA.is_dir() else []
)
def test_shared_cases_match_clangbuildanalyzer(case, tmp_path, monkeypatch):
    ours, expected = _run_case(SHARED_CBA / case, tmp_path, monkeypatch)
    assert ours == expected


def test_changed_trace_changes_the_numbers(tmp_path, monkeypatch):
    """The comparison really pins values: one Frontend made 50 ms shorter shows up where it should."""
    source = tmp_path / "src" / "self-win-clang-19.1"
    shutil.copytree(CBA_FIXTURES / "self-win-clang-19.1", source)
    trace = source / "main.json"
    doc = json.loads(trace.read_text())
    first = next(e for e in doc["traceEvents"] if e.get("name") == "Frontend")
    first["dur"] -= 50_000  # still inside its parent, so the nesting does not change
    trace.write_text(json.dumps(doc))
    ours, expected = _run_case(source, tmp_path, monkeypatch)
    assert "   345 ms: tests/self-win-clang-19.1/main.json" in expected
    assert "   295 ms: tests/self-win-clang-19.1/main.json" in ours
    assert [line for line in ours if "main.json" not in line] == [
        line for line in expected if "main.json" not in line
    ]
