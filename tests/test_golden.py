"""Golden files: every format's output of two real captures, so that a renderer change is a reviewed diff.

Each case runs `buildprof <command> <capture> --format <fmt> --top 5 --no-cache` from fixtures/captures
(so paths are relative and stable) and compares the output with tests/golden/<capture>/<file>. The
only field that depends on the machine, the demangler's path in the JSON, is blanked. After a
deliberate change, regenerate them with `BUILDPROF_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py`
and review the diff.
"""

from __future__ import annotations

import json
import os

import pytest
from trace_helpers import FIXTURES, have_demangler

GOLDEN = FIXTURES.parent / "tests" / "golden"
UPDATE = os.environ.get("BUILDPROF_UPDATE_GOLDEN", "") not in ("", "0")
CASES = [
    (capture, command, fmt)
    for capture in ("clang19-ninja1.11", "clang19-one-tu")
    for command, fmt in (
        ("report", "terminal"),
        ("report", "markdown"),
        ("report", "json"),
        ("report", "cba"),
        ("headers", "terminal"),
        ("why", "markdown"),
    )
]
SUFFIX = {"terminal": "txt", "markdown": "md", "json": "json", "cba": "cba.txt"}

pytestmark = pytest.mark.skipif(
    not have_demangler(), reason="llvm-cxxfilt and llvm-undname (Debian package llvm-19) name the functions"
)


def _output(run_cli, monkeypatch, capture: str, command: str, fmt: str) -> str:
    monkeypatch.chdir(FIXTURES / "captures")
    args = [command, capture] if command != "why" else ["why", "common.h", capture]
    result = run_cli(*args, "--format", fmt, "--top", "5", "--no-cache")
    assert result.exit_code == 0, result.output
    if fmt != "json":
        return result.stdout
    doc = json.loads(result.stdout)
    doc["trace_input"]["demangler"] = "(this machine's)"
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize(("capture", "command", "fmt"), CASES, ids=["-".join(c) for c in CASES])
def test_output_matches_its_golden_file(run_cli, monkeypatch, capture, command, fmt):
    text = _output(run_cli, monkeypatch, capture, command, fmt)
    golden = GOLDEN / capture / f"{command}.{SUFFIX[fmt]}"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    assert golden.is_file(), f"{golden} is missing: BUILDPROF_UPDATE_GOLDEN=1 writes it"
    assert text == golden.read_text()
