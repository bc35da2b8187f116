"""ClangBuildAnalyzer parity: `buildprof report DIR --format cba` prints its `--analyze` text, byte for
byte, on its own test cases (run from the folder above `tests/`, as its test runner does)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from trace_helpers import CBA_FIXTURES, SHARED_CBA, have_demangler, needs_shared

pytestmark = pytest.mark.skipif(
    not have_demangler(), reason="llvm-cxxfilt and llvm-undname (Debian package llvm-19) are needed"
)


def _run_case(source: Path, tmp_path: Path, monkeypatch, run_cli, *extra: str) -> tuple[str, str]:
    """buildprof's cba text for a test case, and ClangBuildAnalyzer's expected output."""
    case = tmp_path / "tests" / source.name
    shutil.copytree(source, case)
    monkeypatch.chdir(tmp_path)
    result = run_cli("report", f"tests/{source.name}", "--format", "cba", "--no-cache", *extra)
    assert result.exit_code == 0, result.output
    return result.stdout, (case / "_AnalysisOutputExpected.txt").read_text()


@pytest.mark.parametrize("case", sorted(p.name for p in CBA_FIXTURES.iterdir() if p.is_dir()))
def test_bundled_cases_match_clangbuildanalyzer(case, tmp_path, monkeypatch, run_cli):
    ours, expected = _run_case(CBA_FIXTURES / case, tmp_path, monkeypatch, run_cli)
    assert ours == expected


@needs_shared
@pytest.mark.parametrize(
    "case", sorted(p.name for p in SHARED_CBA.iterdir() if p.is_dir()) if SHARED_CBA.is_dir() else []
)
def test_shared_cases_match_clangbuildanalyzer(case, tmp_path, monkeypatch, run_cli):
    ours, expected = _run_case(SHARED_CBA / case, tmp_path, monkeypatch, run_cli)
    assert ours == expected


def test_changed_trace_changes_the_numbers(tmp_path, monkeypatch, run_cli):
    """The comparison really pins values: one Frontend made 50 ms shorter shows up where it should."""
    source = tmp_path / "src" / "self-win-clang-19.1"
    shutil.copytree(CBA_FIXTURES / "self-win-clang-19.1", source)
    trace = source / "main.json"
    doc = json.loads(trace.read_text())
    first = next(e for e in doc["traceEvents"] if e.get("name") == "Frontend")
    first["dur"] -= 50_000  # still inside its parent, so the nesting does not change
    trace.write_text(json.dumps(doc))
    ours, expected = _run_case(source, tmp_path, monkeypatch, run_cli)
    assert "   345 ms: tests/self-win-clang-19.1/main.json\n" in expected
    assert "   295 ms: tests/self-win-clang-19.1/main.json\n" in ours
    others = [line for line in ours.splitlines() if "main.json" not in line]
    assert others == [line for line in expected.splitlines() if "main.json" not in line]


def test_its_ini_file_in_the_working_folder_is_followed(tmp_path, monkeypatch, run_cli):
    """ClangBuildAnalyzer.ini in the working folder changes the counts and the name length, as it
    does for ClangBuildAnalyzer (here: 2 templates, longer names cut to 28 characters and "...",
    all headers)."""
    (tmp_path / "ClangBuildAnalyzer.ini").write_text(
        "[counts]\ntemplate = 2 ; two\n[MISC]\nmaxNameLength=0x1e\nonlyRootHeaders = no\n"
    )
    ours, _ = _run_case(CBA_FIXTURES / "self-win-clang-19.1", tmp_path, monkeypatch, run_cli)
    lines = ours.splitlines()
    start = lines.index("**** Templates that took longest to instantiate:")
    assert lines[start + 3] == ""  # two rows
    names = [line.split(": ", 1)[1].split(" (")[0] for line in lines[start + 1 : start + 3]]
    assert all(len(name) <= 31 for name in names) and any(name.endswith("...") for name in names)
    doc = json.loads(run_cli("report", "tests/self-win-clang-19.1", "--format", "json").stdout)
    settings = doc["traces"]["clang_build_analyzer"]["settings"]
    assert (settings["template"], settings["max_name"], settings["only_root_headers"]) == (2, 30, False)


def test_cba_draws_only_reports(tmp_path, run_cli):
    result = run_cli("headers", CBA_FIXTURES / "clang11-pid-45", "--format", "cba")
    assert result.exit_code == 2 and "draws only the report" in result.stderr
