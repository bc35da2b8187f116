"""Whole-report cache: an unchanged folder is answered from it; any change to an input recomputes."""

from __future__ import annotations

import json
import os

import pytest
from trace_helpers import FIXTURES

from buildprof.pipeline import ReportOptions, build_listing, build_report, build_why

CAPTURE = FIXTURES / "captures" / "clang19-ninja1.11"


@pytest.fixture()
def build(capture_copy, monkeypatch):
    folder = capture_copy(CAPTURE.name)
    monkeypatch.chdir(folder.parent)
    return folder


def _bump(path):
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def _strip(doc: dict) -> dict:
    """The document without the fields that say how it was obtained."""
    doc = dict(doc)
    doc.pop("report_cached", None)
    facts = dict(doc.get("trace_input") or {})
    for key in ("parsed", "cached"):
        facts.pop(key, None)
    doc["trace_input"] = facts
    return doc


def test_unchanged_folder_is_answered_from_the_cache(build):
    first = build_report(build)
    assert "report_cached" not in first and first["trace_input"]["parsed"] > 0
    again = build_report(build)
    assert again["report_cached"] is True and again["trace_input"]["parsed"] == 0
    assert _strip(again) == _strip(first)


def test_any_changed_input_recomputes(build):
    build_report(build)
    trace = next(build.rglob("pattern.cc.json"))
    _bump(trace)
    changed_trace = build_report(build)
    assert "report_cached" not in changed_trace and changed_trace["trace_input"]["parsed"] == 1
    with open(build / ".ninja_log", "a") as log:  # a new build appended to the log
        log.write("1\t500\t1795782640000000000\tcore/libcore.a\tabcdef0123456789\n")
    changed_log = build_report(build)
    assert "report_cached" not in changed_log
    assert changed_log["ninja_log"]["builds_found"] == 3
    assert "report_cached" not in build_report(build, ReportOptions(top=3))  # other options
    (build / "other.json").write_text("{}")
    assert "report_cached" not in build_report(build)  # a new JSON file


def test_no_cache_never_uses_or_writes_it(build):
    options = ReportOptions(use_cache=False)
    build_report(build, options)
    assert not (build / ".buildprof").exists()
    build_report(build)
    assert "report_cached" not in build_report(build, options)


def test_listing_and_why_documents_are_cached_per_query(build):
    first = build_listing(build, "headers", "self", "*/core/*", ReportOptions(top=5))
    assert build_listing(build, "headers", "self", "*/core/*", ReportOptions(top=5))["report_cached"]
    other = build_listing(build, "headers", "inclusive", "*/core/*", ReportOptions(top=5))
    assert "report_cached" not in other and other["headers"]["rows"] != first["headers"]["rows"]
    why = build_why(build, "common.h", ReportOptions())
    assert build_why(build, "common.h", ReportOptions())["why"] == why["why"]
    assert "report_cached" not in build_why(build, "containers.h", ReportOptions())


def test_other_code_never_reads_this_codes_reports(build, monkeypatch):
    """An upgraded or edited buildprof (another code stamp) computes the report again, and its
    caches live in a folder of their own (the old one is removed)."""
    from buildprof import code_stamp
    from buildprof.traces import _cache_dir as trace_files

    first = build_report(build)
    old_cache = trace_files.default_cache_dir(build)
    assert build_report(build)["report_cached"]
    monkeypatch.setattr(trace_files, "code_stamp", lambda: "0123456789abcdef")
    monkeypatch.setattr(code_stamp, "code_stamp", lambda: "0123456789abcdef")
    edited = build_report(build)
    assert "report_cached" not in edited and edited["trace_input"]["parsed"] == first["trace_input"]["parsed"]
    assert trace_files.default_cache_dir(build).name.endswith("-0123456789abcdef")
    assert not old_cache.exists()


def test_a_cache_entry_that_is_not_this_report_is_ignored(build, hang_guard):
    """Whatever sits in the report cache under the right name (a foreign document, another command's,
    deep nesting, a FIFO) is a miss, never the answer."""
    from buildprof.traces import default_cache_dir

    first = build_report(build)
    [entry] = (default_cache_dir(build) / "reports").glob("*.json")
    stored = json.loads(entry.read_text())
    plants = [
        json.dumps({"key": stored["key"], "document": {"schema": "buildprof", "command": "report"}}),
        json.dumps({"key": stored["key"], "document": {**stored["document"], "command": "headers"}}),
        json.dumps({"key": "another", "document": stored["document"]}),
        json.dumps({"not": "a report"}),
        "[" * 100_000 + "]" * 100_000,
    ]
    for plant in plants:
        entry.write_text(plant)
        again = build_report(build)
        assert "report_cached" not in again and _strip(again) == _strip(first)
        entry = next((default_cache_dir(build) / "reports").glob("*.json"))
    entry.unlink()
    os.mkfifo(entry)
    assert "report_cached" not in build_report(build)  # never opened for reading: no hang
