"""Whole-report cache: an unchanged folder is answered from it; any change to an input recomputes."""

from __future__ import annotations

import json
import os

import msgspec
import pytest
from trace_helpers import FIXTURES

from buildprof.model.report import Document
from buildprof.pipeline import ReportOptions, build

CAPTURE = FIXTURES / "captures" / "clang19-ninja1.11"


@pytest.fixture()
def folder(capture_copy, monkeypatch):
    copy = capture_copy(CAPTURE.name)
    monkeypatch.chdir(copy.parent)
    return copy


def report(folder, options: ReportOptions | None = None) -> Document:
    return build("report", str(folder), options)


def _bump(path):
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def _strip(doc: Document) -> dict:
    """The document without the fields that say how it was obtained."""
    plain = msgspec.to_builtins(doc)
    plain.pop("report_cached")
    if plain.get("trace_input"):
        for key in ("parsed", "cached"):
            plain["trace_input"].pop(key)
    return plain


def test_unchanged_folder_is_answered_from_the_cache(folder):
    first = report(folder)
    assert not first.report_cached and first.trace_input.parsed > 0
    again = report(folder)
    assert again.report_cached and again.trace_input.parsed == 0
    assert _strip(again) == _strip(first)


def test_any_changed_input_recomputes(folder):
    report(folder)
    trace = next(folder.rglob("pattern.cc.json"))
    _bump(trace)
    changed_trace = report(folder)
    assert not changed_trace.report_cached and changed_trace.trace_input.parsed == 1
    with open(folder / ".ninja_log", "a") as log:  # a new build appended to the log
        log.write("1\t500\t1795782640000000000\tcore/libcore.a\tabcdef0123456789\n")
    changed_log = report(folder)
    assert not changed_log.report_cached
    assert changed_log.ninja_log.builds_found == 3
    assert not report(folder, ReportOptions(top=3)).report_cached  # other options
    (folder / "other.json").write_text("{}")
    assert not report(folder).report_cached  # a new JSON file


def test_no_cache_never_uses_or_writes_it(folder):
    options = ReportOptions(use_cache=False)
    report(folder, options)
    assert not (folder / ".buildprof").exists()
    report(folder)
    assert not report(folder, options).report_cached


def test_listing_and_why_documents_are_cached_per_query(folder):
    def headers(sort: str) -> Document:
        return build("headers", str(folder), ReportOptions(top=5, sort=sort, match="*/core/*"))

    first = headers("self")
    assert headers("self").report_cached
    other = headers("inclusive")
    assert not other.report_cached and other.headers.rows != first.headers.rows
    why = build("why", str(folder), ReportOptions(header="common.h"))
    assert build("why", str(folder), ReportOptions(header="common.h")).why == why.why
    assert not build("why", str(folder), ReportOptions(header="containers.h")).report_cached


def test_other_code_never_reads_this_codes_reports(folder, monkeypatch):
    """An upgraded or edited buildprof (another code stamp) computes the report again, and its
    caches live in a folder of their own (the old one is removed)."""
    from buildprof import report_cache
    from buildprof.traces import _cache_dir

    first = report(folder)
    old_cache = _cache_dir.default_cache_dir(folder)
    assert report(folder).report_cached
    monkeypatch.setattr(_cache_dir, "code_stamp", lambda: "0123456789abcdef")
    monkeypatch.setattr(report_cache, "code_stamp", lambda: "0123456789abcdef")
    edited = report(folder)
    assert not edited.report_cached and edited.trace_input.parsed == first.trace_input.parsed
    assert _cache_dir.default_cache_dir(folder).name.endswith("-0123456789abcdef")
    assert not old_cache.exists()


def test_a_cache_entry_that_is_not_this_report_is_ignored(folder, hang_guard):
    """Whatever sits in the report cache under the right name (a foreign document, another command's,
    a document of the wrong shape, deep nesting, a FIFO) is a miss, never the answer."""
    from buildprof.traces import default_cache_dir

    first = report(folder)
    [entry] = (default_cache_dir(folder) / "reports").glob("*.json")
    stored = json.loads(entry.read_text())
    shapeless = {**stored["document"], "builds": [{"index": "not a number"}]}
    plants = [
        json.dumps({"key": stored["key"], "document": {"schema": "buildprof", "command": "report"}}),
        json.dumps({"key": stored["key"], "document": {**stored["document"], "command": "headers"}}),
        json.dumps({"key": stored["key"], "document": shapeless}),
        json.dumps({"key": "another", "document": stored["document"]}),
        json.dumps({"not": "a report"}),
        "[" * 100_000 + "]" * 100_000,
    ]
    for plant in plants:
        entry.write_text(plant)
        again = report(folder)
        assert not again.report_cached and _strip(again) == _strip(first)
        entry = next((default_cache_dir(folder) / "reports").glob("*.json"))
    entry.unlink()
    os.mkfifo(entry)
    assert not report(folder).report_cached  # never opened for reading: no hang


def test_a_cache_folder_inside_the_build_folder_is_not_searched_for_traces(folder, monkeypatch):
    """BUILDPROF_CACHE_DIR inside the build folder: its files are neither traces nor "other JSON",
    and the second run is answered from the cache (before the CACHEDIR.TAG it never was)."""
    monkeypatch.setenv("BUILDPROF_CACHE_DIR", str(folder / "cache"))
    first = report(folder)
    again = report(folder)
    assert again.report_cached
    assert not first.report_cached  # its scan ran before the cache folder existed: the baseline
    assert again.trace_input.other_json == first.trace_input.other_json == 2  # compile_commands.json...
    assert again.trace_input.traces == first.trace_input.traces == 22
    tags = list((folder / "cache").rglob("CACHEDIR.TAG"))
    assert len(tags) == 1 and tags[0].read_bytes().startswith(b"Signature: 8a477f597d28d172789f06886806bc55")


def test_a_tagged_folder_of_another_tool_is_skipped_but_an_untagged_one_is_not(folder):
    other = folder / "ccache-dir"
    other.mkdir()
    (other / "foo.json").write_text("{}")
    assert report(folder).trace_input.other_json == 3  # compile_commands.json... and foo.json
    (other / "CACHEDIR.TAG").write_text("not the signature\n")
    assert report(folder).trace_input.other_json == 3
    (other / "CACHEDIR.TAG").write_bytes(b"Signature: 8a477f597d28d172789f06886806bc55\n")
    assert report(folder).trace_input.other_json == 2
