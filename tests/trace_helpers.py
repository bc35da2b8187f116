"""Shared helpers for the trace tests: where the real traces are, and running a scan in-process."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from buildprof.analysis.trace_set import TraceSet, build_trace_set
from buildprof.traces._demangle import demangle_names
from buildprof.traces._discover import find_json_files
from buildprof.traces._scan import scan_traces

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
CBA_FIXTURES = FIXTURES / "clangbuildanalyzer"
SHARED_DATA = REPO.parent / "shared" / "data"
SHARED_CBA = SHARED_DATA / "clangbuildanalyzer-tests"
SHARED_ABSEIL = SHARED_DATA / "abseil-build" / "build-dir.tar.zst"

# Skipped, with the reason, by conftest.py when ../shared/data is absent.
needs_shared = pytest.mark.shared


def scan_folder(root: str | Path, jobs: int = 1):
    """Summaries of every trace under `root`, without cache, and the indexed TraceSet."""
    scan = scan_traces(find_json_files(root), None, jobs=jobs)
    return scan, build_trace_set(scan.summaries)


def demangled(ts: TraceSet) -> dict[str, str]:
    return demangle_names(f.name for s in ts.summaries for f in s.functions)


def unpack_abseil(dest: Path) -> Path:
    """Unpack the abseil build folder from ../shared into `dest` (zstd + tar), return the folder."""
    if shutil.which("zstd") is None:
        pytest.skip("zstd is not installed")
    dest.mkdir(parents=True, exist_ok=True)
    with subprocess.Popen(["zstd", "-dc", str(SHARED_ABSEIL)], stdout=subprocess.PIPE) as zstd:
        subprocess.run(["tar", "-xf", "-", "-C", str(dest)], stdin=zstd.stdout, check=True)
    return dest


def have_demangler() -> bool:
    return any(shutil.which(t) for t in ("llvm-cxxfilt", "llvm-cxxfilt-19", "llvm-cxxfilt-14")) and any(
        shutil.which(t) for t in ("llvm-undname", "llvm-undname-19", "llvm-undname-14")
    )


def environ_without_cache() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("BUILDPROF_CACHE_DIR", None)
    return env
