"""A trace worker on the C path imports no numpy, so the workers can be forked before the parent
imports it (its 0.06-0.1 s would otherwise come before either core starts on the traces)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from buildprof.traces._summary import native_summarize

ROOT = Path(__file__).resolve().parents[1]
CAPTURE = ROOT / "fixtures" / "captures" / "clang19-one-tu"

SCRIPT = """
import sys
from buildprof.traces import find_trace_files
from buildprof.traces._scan import _summarize_chunk_message
found = find_trace_files(sys.argv[1])
assert "numpy" not in sys.modules, "imported before the workers start"
message = _summarize_chunk_message((found.files, None, False))
assert message and "numpy" not in sys.modules, "imported by a worker's work"
print(len(found.files))
"""


@pytest.mark.skipif(native_summarize() is None, reason="the C module is not built (or turned off)")
def test_a_worker_summarises_and_encodes_without_numpy() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(CAPTURE)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 0
