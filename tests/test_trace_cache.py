"""The per-trace summary cache: warm runs read no trace, changed traces are read again, --no-cache."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from trace_helpers import FIXTURES

from buildprof.code_stamp import code_stamp
from buildprof.traces._cache import PACK_NAME
from buildprof.traces._cache_dir import CACHE_FORMAT, default_cache_dir
from buildprof.traces._discover import find_json_files
from buildprof.traces._scan import scan_traces

CAPTURE = FIXTURES / "captures" / "clang14-ninja1.13"


@pytest.fixture()
def build(capture_copy):
    folder = capture_copy(CAPTURE.name)
    return folder


def _scan(build, cache=True, jobs=2):
    return scan_traces(find_json_files(build), default_cache_dir(build) if cache else None, jobs=jobs)


def test_second_scan_reads_nothing_and_gives_the_same_summaries(build):
    first = _scan(build)
    files = len(find_json_files(build))
    assert (first.parsed, first.cached) == (files, 0)
    second = _scan(build)
    assert (second.parsed, second.cached) == (0, files)
    assert second.summaries == first.summaries
    assert default_cache_dir(build) == build / ".buildprof" / f"{CACHE_FORMAT}-{code_stamp()}"


def test_only_changed_traces_are_read_again(build):
    _scan(build)
    _touch(sorted(build.rglob("*.cc.json"))[:2])
    again = _scan(build)
    assert again.parsed == 2
    assert again.cached == len(find_json_files(build)) - 2


def test_no_cache_reads_everything_and_writes_nothing(build):
    scan = _scan(build, cache=False)
    assert scan.cached == 0 and scan.parsed == len(find_json_files(build))
    assert not (build / ".buildprof").exists()


def _touch(paths) -> None:
    for path in paths:
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_a_full_scan_writes_the_pack_and_an_incremental_one_entries(build):
    """A scan that (re)writes the pack writes no per-trace entry (the pack holds every summary); a
    scan that keeps the pack writes entries for the few traces it read, which serve the next runs."""
    cache = default_cache_dir(build)
    _scan(build)
    assert sorted(p.name for p in cache.iterdir()) == [PACK_NAME]
    changed = sorted(build.rglob("*.cc.json"))[:2]
    _touch(changed)
    assert _scan(build).parsed == 2
    assert len([p for p in cache.iterdir() if p.name != PACK_NAME]) == 2
    again = _scan(build)
    assert (again.parsed, again.cached) == (0, len(find_json_files(build)))  # pack + 2 entries


def test_deleting_or_corrupting_the_cache_is_safe(build):
    _scan(build)
    cache = default_cache_dir(build)
    _touch(sorted(build.rglob("*.cc.json"))[:2])
    _scan(build)  # writes the two entries, keeps the pack
    reference = _scan(build, cache=False).summaries
    entries = sorted(p for p in cache.iterdir() if p.name != PACK_NAME)
    entries[0].write_bytes(entries[0].read_bytes()[:20])  # damaged entry: read the trace again
    entries[1].write_bytes(b"garbage")
    again = _scan(build)
    assert again.summaries == reference and again.parsed == 2
    (cache / PACK_NAME).write_bytes(b"garbage")  # a damaged pack: everything read again
    again = _scan(build)
    assert again.summaries == reference and again.parsed == len(reference) + len(again.probes)
    shutil.rmtree(build / ".buildprof")
    assert _scan(build).summaries == reference


def test_unwritable_build_folder_uses_the_user_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("BUILDPROF_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    folder = tmp_path / "ro"
    folder.mkdir()
    assert str(default_cache_dir(folder)).startswith(str(tmp_path / "xdg" / "buildprof"))
    monkeypatch.setenv("BUILDPROF_CACHE_DIR", str(tmp_path / "env"))
    assert str(default_cache_dir(folder)).startswith(str(tmp_path / "env"))


def test_serial_and_parallel_scans_agree(build):
    assert _scan(build, cache=False, jobs=1).summaries == _scan(build, cache=False, jobs=2).summaries


def test_meanwhile_runs_once_beside_the_workers_and_its_errors_stay_there(build):
    """The parent's spare work (importing the analysis) runs in a thread while workers scan, once;
    it fails quietly (the main thread does the same work again and reports it), and it does not run
    when no worker is started (a serial scan, or everything from the cache)."""
    files = find_json_files(build)
    calls = []

    def meanwhile() -> None:
        calls.append(threading.current_thread() is not threading.main_thread())
        raise ImportError("no such module")

    reference = scan_traces(files, None, jobs=1, meanwhile=meanwhile).summaries
    assert calls == []
    assert scan_traces(files, None, jobs=2, meanwhile=meanwhile).summaries == reference
    assert calls == [True]
    cache = default_cache_dir(build)
    scan_traces(files, cache, jobs=2)
    assert scan_traces(files, cache, jobs=2, meanwhile=meanwhile).cached == len(files)
    assert calls == [True]


def test_the_collector_is_paused_during_a_scan_and_restored_after(build):
    """Scans (and whole reports) run without cyclic collections; the caller's setting comes back."""
    import gc

    from buildprof.gc_pause import gc_paused

    seen = []
    files = find_json_files(build)
    scan_traces(files, None, jobs=2, meanwhile=lambda: seen.append(gc.isenabled()))
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()
