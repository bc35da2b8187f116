"""Hostile inputs and hostile surroundings: never a traceback, never a hang, nothing of the user's damaged.

Each case runs the real console entry point (`python -m buildprof`) where the process matters (exit
codes, signals, pipes, devices) and checks exit 0 with the problem reported, or exit 2 with one `Error:`
line; every subprocess has a timeout, so a hang fails the test instead of stopping the suite.
"""

from __future__ import annotations

import errno
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from buildprof.model import SCHEMA_VERSION

REPO = Path(__file__).resolve().parents[1]
CAPTURE = REPO / "fixtures" / "captures" / "clang19-ninja1.11"
CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")
TIMEOUT = 120


def buildprof(*args, close_stdout: bool = False, **kwargs) -> subprocess.CompletedProcess:
    """`python -m buildprof args...` as bytes, with a timeout (a hang is a failure); with
    `close_stdout`, started with standard output closed (`>&-`)."""
    command = [sys.executable, "-m", "buildprof", *map(str, args)]
    if close_stdout:
        command = ["sh", "-c", '"$0" "$@" >&-', *command]
        kwargs.pop("stdout", None)
        return subprocess.run(command, stderr=subprocess.PIPE, timeout=TIMEOUT, **kwargs)
    return subprocess.run(command, capture_output=True, timeout=TIMEOUT, **kwargs)


def one_error_line(done: subprocess.CompletedProcess, *words: str) -> None:
    """Exit code 2 and exactly one `Error: ...` line on stderr mentioning `words`."""
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert err.startswith("Error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert all(word in err for word in words), err


@pytest.fixture()
def build(tmp_path: Path) -> Path:
    """A private copy of a real two-build capture (log, traces, no build.ninja)."""
    folder = tmp_path / "build"
    shutil.copytree(CAPTURE, folder)
    return folder


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- standard output closed, full, interrupted ---------------------------------------------------


def test_a_full_stdout_is_one_error_line_and_exit_2(build):
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [sys.executable, "-m", "buildprof", "report", str(build)],
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=TIMEOUT,
        )
    one_error_line(done, "standard output")


def test_a_closed_stdout_and_a_full_one_under_help_are_one_error_line(build):
    closed = buildprof("report", build, close_stdout=True)
    one_error_line(closed, "standard output is closed")
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [sys.executable, "-m", "buildprof", "--help"],
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=TIMEOUT,
        )
    one_error_line(done, os.strerror(errno.ENOSPC))  # the C library's words, in its language


def test_a_reader_that_stops_early_ends_it_silently(build):
    """`| head -1` on a report bigger than a pipe holds: killed by SIGPIPE like any Unix tool."""
    command = [sys.executable, "-m", "buildprof", "report", str(build), "--format", "json", "--top", "1000"]
    for unbuffered in ("", "1"):  # an unbuffered stdout takes a large write in pieces
        env = {**os.environ, "PYTHONUNBUFFERED": unbuffered}
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as process:
            assert process.stdout.readline() == b"{\n"
            process.stdout.close()
            err = process.stderr.read()
            assert process.wait(timeout=TIMEOUT) == -signal.SIGPIPE
        assert err == b""


def _processes_naming(text: str) -> list[str]:
    """Processes whose command line holds `text` (the trace workers are forks of buildprof)."""
    found = []
    for folder in glob.glob("/proc/[0-9]*"):
        try:
            with open(f"{folder}/cmdline", "rb") as handle:
                if text.encode() in handle.read():
                    found.append(folder)
        except OSError:
            continue
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_is_exit_130_with_no_traceback_no_half_document_and_no_worker_left(tmp_path):
    """Ctrl-C (SIGINT to the process group, as a terminal sends it) at several moments of a report of
    a few hundred real traces: exit 130, no traceback, stdout empty or one whole JSON document, no
    worker left, and the next run (through whatever cache the interrupted ones left) is correct."""
    folder = tmp_path / "many-traces"
    for copy in range(12):
        for trace in CAPTURE.rglob("*.cc.json"):
            target = folder / f"copy{copy}" / trace.relative_to(CAPTURE)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(trace, target)
    env = {**os.environ, "BUILDPROF_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "buildprof", "report", str(folder), "--format", "json", "-j", "2"]
    codes = set()
    for delay in (0.1, 0.2, 0.4, 0.6, 0.9):  # after the interpreter started (its own start-up is not ours)
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True
        )
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGINT)
        out, err = process.communicate(timeout=TIMEOUT)
        codes.add(process.returncode)
        assert process.returncode in (0, 130), err
        assert b"Traceback" not in err and (process.returncode == 0 or err.strip() == b"Interrupted.")
        if out:
            assert json.loads(out)["command"] == "report"  # whole, never cut
        for _ in range(50):
            if not _processes_naming(str(folder)):
                break
            time.sleep(0.1)
        assert not _processes_naming(str(folder))
    assert 130 in codes
    again = json.loads(subprocess.run(command, capture_output=True, env=env, timeout=TIMEOUT).stdout)
    fresh = json.loads(subprocess.run([*command, "--no-cache"], capture_output=True, timeout=TIMEOUT).stdout)
    assert again["traces"] == fresh["traces"] and again["trace_input"]["traces"] == 22 * 12


# ---- things that are not files -------------------------------------------------------------------


def test_fifos_named_like_inputs_are_skipped_never_opened(build):
    os.unlink(build / ".ninja_log")
    os.mkfifo(build / ".ninja_log")
    os.mkfifo(build / "zz-waiting.json")
    done = buildprof("report", build, "--format", "json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    skipped = {Path(s["path"]).name: s["message"] for s in doc["skipped_inputs"]}
    assert skipped == {
        ".ninja_log": "is a FIFO (named pipe), not a regular file: skipped",
        "zz-waiting.json": "is a FIFO (named pipe), not a regular file: skipped",
    }
    assert doc["ninja_log"] is None and doc["trace_input"]["traces"] == 22  # the traces still analysed
    warnings = done.stderr.decode().splitlines()
    assert sum(line.startswith("warning: ") and "FIFO" in line for line in warnings) == 2


def test_links_named_like_traces_that_lead_nowhere_are_named(build):
    os.symlink("loop.json", build / "loop.json")
    os.symlink("nowhere.json", build / "dangling.json")
    os.symlink("subloop", build / "subloop")
    done = buildprof("report", build, "--format", "json")
    assert done.returncode == 0
    skipped = {Path(s["path"]).name: s["message"] for s in json.loads(done.stdout)["skipped_inputs"]}
    assert skipped == {
        "dangling.json": "is a dangling symbolic link (to nowhere.json, which does not exist): skipped",
        "loop.json": "is a symbolic link loop (it leads back to itself): skipped",
    }


def test_a_fifo_given_as_the_folder_is_refused(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    one_error_line(buildprof("report", tmp_path / "pipe"), "is a FIFO (named pipe)")


@pytest.mark.parametrize("link", ["loop", "dangling"])
def test_symbolic_link_loops_and_dangling_links_are_named(tmp_path, build, link):
    path = tmp_path / "link"
    os.symlink(path if link == "loop" else tmp_path / "nowhere", path)
    expected = "symbolic link loop" if link == "loop" else "dangling symbolic link"
    one_error_line(buildprof("report", path), expected)
    os.unlink(build / ".ninja_log")
    os.symlink(build / ".ninja_log" if link == "loop" else tmp_path / "nowhere", build / ".ninja_log")
    done = buildprof("report", build, "--format", "json")
    assert done.returncode == 0
    [skipped] = json.loads(done.stdout)["skipped_inputs"]
    assert skipped["path"].endswith(".ninja_log") and expected in skipped["message"]
    assert expected in done.stderr.decode()
    os.unlink(build / ".ninja_log")
    for trace in build.rglob("*.json"):
        trace.unlink()
    os.symlink(tmp_path / "nowhere", build / ".ninja_log")
    one_error_line(buildprof("report", build), "nothing buildprof can read", "dangling symbolic link")


# ---- names that are not UTF-8, and control characters in names ------------------------------------


def test_names_that_are_not_utf8_work_everywhere(build):
    """A trace folder and file named with bytes that are not UTF-8 (and an escape sequence), and a
    ninja log output likewise: terminal and Markdown show them escaped, JSON keeps them exactly, and
    the caches work with them (the second run, from the caches, gives the same document)."""
    odd_dir = os.fsencode(build) + b"/dir\xff\x1b[2J"
    os.mkdir(odd_dir)
    trace = build / "text" / "CMakeFiles" / "text.dir" / "src" / "csv.cc.json"
    shutil.copyfile(trace, odd_dir + b"/caf\xe9.cc.json")
    log = (build / ".ninja_log").read_bytes()
    (build / ".ninja_log").write_bytes(log.replace(b"apps/microbench\t", b"apps/micro\xffbench\t"))
    env = {**os.environ}
    first = buildprof("report", build, "--format", "json", "--all-traces", "--top", "100", env=env)
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    traces = [u["trace"] for u in doc["traces"]["compile_units"]]
    odd = next(t for t in traces if t.startswith("dir"))
    assert os.fsencode(odd) == b"dir\xff\x1b[2J/caf\xe9.cc.json"  # exact: the bytes come back
    outputs = [s["output"] for b in doc["builds"] for s in b["slowest_steps"] + b["slowest_weighted"]]
    assert any(os.fsencode(o) == b"apps/micro\xffbench" for o in outputs)
    second = buildprof("report", build, "--format", "json", "--all-traces", "--top", "100")
    again = json.loads(second.stdout)
    assert again.pop("report_cached") is True
    assert again["traces"] == doc["traces"] and again["builds"] == doc["builds"]
    for fmt in ("terminal", "markdown"):
        for extra in ([], ["--no-cache"]):
            done = buildprof("report", build, "--format", fmt, "--all-traces", "--top", "100", *extra)
            assert done.returncode == 0 and not CONTROL.search(done.stdout), done.stderr
            assert b"dir\\xff\\x1b[2J/caf\\xe9.cc.json" in done.stdout
            assert b"micro\\xffbench" in done.stdout


def test_errors_quoting_names_show_their_control_characters(build):
    done = buildprof("why", "\x1b]0;owned\x07\x1b[2J", build)
    one_error_line(done, "\\x1b]0;owned\\x07")
    assert not CONTROL.search(done.stderr.replace(b"\n", b""))
    done = buildprof("report", build / "\x1b[2Jmissing")
    one_error_line(done, "\\x1b[2Jmissing")


# ---- nothing of the user's is damaged ------------------------------------------------------------


def test_output_over_an_input_is_refused_and_the_input_kept(build):
    trace = build / "text" / "CMakeFiles" / "text.dir" / "src" / "csv.cc.json"
    os.link(build / ".ninja_log", build / "log-link.txt")
    (build / "build.ninja").write_text("build a.o: cc a.c\n")
    for target in (build / ".ninja_log", build / "build.ninja", trace, build / "log-link.txt"):
        before = digest(target)
        fmt = ["--format", "json"] if target.suffix not in (".json", ".txt") else []
        one_error_line(buildprof("report", build, "-o", target, *fmt), "refusing to write the report over")
        one_error_line(buildprof("headers", build, "-o", target, *fmt), "refusing to write the report over")
        assert digest(target) == before


def test_a_suffix_that_names_another_format_is_refused(build, tmp_path):
    done = buildprof("report", build, "-o", tmp_path / "x.json", "--format", "markdown")
    assert done.returncode == 2 and b"looks like json" in done.stderr and b"Traceback" not in done.stderr
    assert not (tmp_path / "x.json").exists()
    assert buildprof("report", build, "-o", tmp_path / "report", "--format", "markdown").returncode == 0


# ---- damaged traces and what is not a trace ------------------------------------------------------


def test_problems_go_to_stderr_with_any_format_and_destination(tmp_path, build):
    shutil.copyfile(REPO / "fixtures" / "captures" / "damaged" / "ninja_log.truncated", build / ".ninja_log")
    (build / "broken.cc.json").write_bytes(b'{"traceEvents": [{"ph": "X", "ts": 1')
    (build / "broken.cc.o").write_bytes(b"")
    for args in (["--format", "json"], ["-o", tmp_path / "r.json"], ["-o", tmp_path / "r.md"], []):
        done = buildprof("report", build, *args)
        assert done.returncode == 0
        warnings = [line for line in done.stderr.decode().splitlines() if line.startswith("warning: ")]
        assert any(".ninja_log:64: incomplete last line" in line for line in warnings), warnings
        assert any("broken.cc.json: truncated or corrupt JSON" in line for line in warnings), warnings


def test_an_empty_json_beside_its_object_is_a_damaged_trace(build):
    before = json.loads(buildprof("report", build, "--format", "json", "--no-cache").stdout)
    (build / "killed.cc.o").write_bytes(b"\x7fELF")
    (build / "killed.cc.json").write_bytes(b"")
    (build / "unrelated.json").write_bytes(b"")
    doc = json.loads(buildprof("report", build, "--format", "json").stdout)
    [damaged] = doc["trace_input"]["damaged"]
    assert damaged["path"].endswith("killed.cc.json")
    assert damaged["message"].startswith("empty file (0 bytes) beside killed.cc.o")
    assert doc["trace_input"]["other_json"] == before["trace_input"]["other_json"] + 1


def test_a_trace_nested_thousands_deep_is_damaged_and_the_rest_analysed(build):
    deep = 20_000
    nested_args = (
        '{"traceEvents":[{"ph":"X","ts":0,"dur":5,"name":"ExecuteCompiler","args":{"x":'
        + "[" * deep
        + "]" * deep
        + "}}]}"
    )
    nested_key = '{"traceEvents":[],"other":' + '{"a":' * deep + "1" + "}" * deep + "}"
    (build / "args.cc.json").write_text(nested_args)
    (build / "key.cc.json").write_text(nested_key)
    for extra in ({}, {"BUILDPROF_NO_NATIVE": "1"}):
        done = buildprof("report", build, "--format", "json", "--no-cache", env={**os.environ, **extra})
        assert done.returncode == 0, done.stderr
        doc = json.loads(done.stdout)
        damaged = {Path(d["path"]).name for d in doc["trace_input"]["damaged"]}
        assert damaged == {"args.cc.json", "key.cc.json"}
        assert doc["trace_input"]["traces"] == 22 and doc["schema_version"] == SCHEMA_VERSION


def _numbers(value, key=""):
    """Every (key, number) in a JSON document."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _numbers(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v, key)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield key, value


def test_negative_and_absurd_durations_are_damaged_events_never_negative_times(build):
    """A real trace with a Source of negative duration and an instantiation lasting years: those
    events are left out and reported, the rest of the trace is analysed, no time is negative."""
    trace = build / "text" / "CMakeFiles" / "text.dir" / "src" / "csv.cc.json"
    doc = json.loads(trace.read_text())
    events = doc["traceEvents"]
    inst = next(i for i, e in enumerate(events) if e.get("name") == "InstantiateClass")
    events[inst]["dur"] = 10**15
    events.append({**events[inst], "dur": -5000, "ts": events[inst]["ts"]})
    trace.write_text(json.dumps(doc))
    done = buildprof("report", build, "--format", "json", "--all-traces", "--top", "1000")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    [damaged] = report["trace_input"]["damaged_events"]
    assert damaged["path"].endswith("csv.cc.json") and damaged["events"] == 2
    assert damaged["message"].startswith(f'event {inst} "InstantiateClass": duration')
    assert b"2 damaged event(s) left out" in done.stderr
    negative = [(k, v) for k, v in _numbers(report) if k.endswith(("_ms", "_us")) and v < 0]
    assert not negative
    assert report["traces"]["totals"]["tus"] == 22
    text = buildprof("report", build, "--all-traces", "--top", "1000").stdout.decode()
    tables = [line for line in text.splitlines() if "event" not in line]  # not the damaged-event note
    assert not [line for line in tables if re.search(r"(?<![\w.])-\d", line)]  # no negative number
