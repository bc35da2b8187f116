"""`buildprof report` on real build folders: numbers, builds, damaged and recompacted logs, formats."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys

import pytest

from buildprof.model import SCHEMA_VERSION


def log_folder(tmp_path, source):
    """A build folder holding only a copy of `source` as its .ninja_log."""
    folder = tmp_path / "build"
    folder.mkdir()
    shutil.copyfile(source, folder / ".ninja_log")
    return folder


def report_json(run_cli, *args):
    """The JSON document `buildprof report ... --format json` prints (the command must succeed)."""
    result = run_cli("report", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_fits(text: str, width: int = 100) -> None:
    """Every line of a terminal report is at most `width` characters wide."""
    too_wide = [line for line in text.splitlines() if len(line) > width]
    assert not too_wide, too_wide


# ---- errors: one line on stderr, exit code 2, no traceback ---------------------------------------


def _setup_error_case(case, tmp_path, captures):
    """A path that `report` must refuse, and the start of the expected message after `Error: `."""
    folder = tmp_path / "build"
    if case == "missing folder":
        return folder, f"{folder}: no such file or folder"
    folder.mkdir()
    log = folder / ".ninja_log"
    if case == "nothing readable":
        (folder / "notes.txt").write_text("not a build\n")
        return folder, f"{folder}: nothing buildprof can read here"
    body = (captures / "clang19-ninja1.11" / ".ninja_log").read_bytes().split(b"\n", 1)[1]
    contents = {
        "empty log": b"",
        "header-only log": b"# ninja log v5\n",
        "version 4": b"# ninja log v4\n" + body,
        "version 8": b"# ninja log v8\n" + body,
        "not a log": b"hello\n",
        "recompacted log only": (captures / "clang19-ninja1.11" / "ninja_log.recompacted").read_bytes(),
    }
    messages = {
        "empty log": f"{log}: the ninja log is empty",
        "header-only log": f"{log}: the ninja log holds no step yet",
        "version 4": f"{log}:1: ninja log version 4 is not supported",
        "version 8": f"{log}:1: ninja log version 8 is not supported",
        "not a log": f"{log}:1: not a ninja log",
        "recompacted log only": f"{log}: no build can be told apart: lines 2-35 were recompacted",
    }
    log.write_bytes(contents[case])
    return folder, messages[case]


@pytest.mark.parametrize(
    "case",
    [
        "missing folder",
        "nothing readable",
        "empty log",
        "header-only log",
        "version 4",
        "version 8",
        "not a log",
        "recompacted log only",
    ],
)
def test_unusable_input_is_one_line_and_exit_code_2(run_cli, tmp_path, captures, case):
    path, message = _setup_error_case(case, tmp_path, captures)
    result = run_cli("report", path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: {message}")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


# ---- builds ---------------------------------------------------------------------------------------


def test_last_build_by_default_all_builds_on_request(run_cli, tmp_path, captures):
    folder = log_folder(tmp_path, captures / "clang19-ninja1.11" / ".ninja_log")
    last = report_json(run_cli, folder)
    assert last["ninja_log"]["builds_found"] == 2 and last["ninja_log"]["version"] == 5
    assert [(b["index"], b["summary"]["steps"], b["summary"]["wall_ms"]) for b in last["builds"]] == [
        (1, 28, 7811)
    ]
    both = report_json(run_cli, folder, "--all-builds")
    summaries = [b["summary"] for b in both["builds"]]
    assert [(s["first_line"], s["last_line"], s["steps"], s["outputs"], s["wall_ms"]) for s in summaries] == [
        (2, 35, 30, 34, 8259),
        (36, 64, 28, 29, 7811),
    ]
    text = run_cli("report", folder, "--all-builds").stdout
    rows = re.findall(r"^\s+(\d)\s+(\d+-\d+)\s+(\d+)\s+(\S+ s)\s", text, flags=re.M)
    assert rows == [("1", "2-35", "30", "8.26 s"), ("2", "36-64", "28", "7.81 s")]
    assert "Build 1 of 2" in text and "Build 2 of 2" in text
    assert_fits(text)


def test_v7_log_of_pypi_ninja(run_cli, tmp_path, captures):
    doc = report_json(run_cli, log_folder(tmp_path, captures / "clang14-ninja1.13" / ".ninja_log"))
    [build] = doc["builds"]
    assert doc["ninja_log"]["version"] == 7
    assert (build["summary"]["steps"], build["summary"]["outputs"], build["summary"]["wall_ms"]) == (
        30,
        34,
        14376,
    )
    kinds = {row["name"]: row["steps"] for row in build["by_kind"]}
    assert kinds == {"compile": 22, "link": 4, "archive": 3, "codegen": 1}


def test_recompacted_block_then_a_build(run_cli, write_log, recompacted_then_build):
    """The real recompacted block followed by a real build run later: the block is named, the build used."""
    folder = write_log(recompacted_then_build(), header="")
    doc = report_json(run_cli, folder)
    assert (
        doc["ninja_log"]["unordered"]["first_line"] == 2 and doc["ninja_log"]["unordered"]["last_line"] == 35
    )
    assert doc["ninja_log"]["builds_found"] == 1
    assert (doc["builds"][0]["summary"]["first_line"], doc["builds"][0]["summary"]["steps"]) == (36, 30)
    text = run_cli("report", folder).stdout
    assert (
        "Recompacted log" in text and "lines 2-35 (34 lines) were rewritten by ninja's recompaction" in text
    )
    assert_fits(text)


@pytest.mark.parametrize(
    ("name", "line", "message", "build"),
    [
        ("ninja_log.truncated", 64, "incomplete last line", (36, 63, 27)),
        ("ninja_log.glued", 35, "8 fields instead of 5", (36, 63, 27)),
        ("ninja_log.invalid_start", 21, "start time 'bad' is not a whole number of ms", (36, 64, 28)),
    ],
)
def test_damaged_logs_are_reported_and_the_rest_analysed(run_cli, captures, name, line, message, build):
    path = captures / "damaged" / name
    result = run_cli("report", path)
    assert result.exit_code == 0, result.output
    assert f"Skipped 1 damaged line(s) of {name} (the rest is analysed)" in result.stdout
    assert f"line {line}: {message}" in result.stdout
    assert_fits(result.stdout)
    doc = report_json(run_cli, path)
    assert doc["ninja_log"]["problems_total"] == 1
    assert doc["ninja_log"]["problems"][0]["line"] == line
    assert doc["ninja_log"]["problems"][0]["message"].startswith(message)
    s = doc["builds"][0]["summary"]
    assert (s["first_line"], s["last_line"], s["steps"]) == build


# ---- output formats -------------------------------------------------------------------------------


def test_json_markdown_and_output_files(run_cli, tmp_path, captures):
    folder = log_folder(tmp_path, captures / "clang19-ninja1.11" / ".ninja_log")
    doc = report_json(run_cli, folder)
    assert doc["schema_version"] == SCHEMA_VERSION and doc["command"] == "report"
    assert json.loads(json.dumps(doc)) == doc

    result = run_cli("report", folder, "-o", tmp_path / "out" / "report.md")
    assert result.exit_code == 0 and result.stdout == ""
    assert result.stderr == f"Wrote markdown report to {tmp_path / 'out' / 'report.md'}\n"
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert markdown.startswith(f"# buildprof report: `{folder}`\n") and "## Build summary" in markdown
    assert "| kind | steps | time | weighted | share | slowest |" in markdown

    assert run_cli("report", folder, "-o", tmp_path / "x.json").exit_code == 0
    written = json.loads((tmp_path / "x.json").read_text())
    assert written["builds"] == doc["builds"] and written["schema_version"] == SCHEMA_VERSION

    refused = run_cli("report", folder, "-o", tmp_path / "x.unknown")
    assert refused.exit_code == 2 and "cannot tell the format from" in refused.stderr
    assert not (tmp_path / "x.unknown").exists()


@pytest.mark.parametrize("capture", ["clang19-ninja1.11", "clang14-ninja1.13", "clang19-ninja1.13"])
def test_terminal_report_of_whole_capture_folders_fits_100_columns(run_cli, captures, capture, tmp_path):
    folder = tmp_path / capture  # a copy: the report writes its trace cache into the folder
    shutil.copytree(captures / capture, folder)
    result = run_cli("report", folder, "--all-builds")
    assert result.exit_code == 0, result.output
    assert "Time by kind of step" in result.stdout
    assert_fits(result.stdout)


# ---- abseil ---------------------------------------------------------------------------------------


@pytest.mark.shared
def test_abseil_report(run_cli, abseil_build):
    doc = report_json(run_cli, abseil_build)
    [build] = doc["builds"]
    s = build["summary"]
    assert (s["steps"], s["wall_ms"], s["cpu_ms"], s["busy_ms"], s["startup_ms"]) == (
        253,
        121730,
        243237,
        121730,
        14,
    )
    assert s["weighted_ms"] == pytest.approx(121730, abs=1e-3)
    assert [(k["name"], k["steps"]) for k in build["by_kind"]] == [("compile", 159), ("archive", 94)]
    assert build["by_target"][0]["name"] == "strings" and build["by_target"][0]["steps"] == 15
    assert build["targets_total"] == 94
    assert doc["manifest"]["outputs"] == 1064
    text = run_cli("report", abseil_build, "--top", "30").stdout
    assert_fits(text)


def test_the_console_entry_point_flushes_its_output_and_keeps_exit_codes(run_cli, tmp_path, captures):
    """`python -m buildprof` (the console script's main, which ends with os._exit): the whole report
    reaches a pipe, errors keep exit code 2, and a reader that stops early gets no traceback."""
    folder = captures / "clang19-ninja1.11"

    def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "buildprof", *args]
        return subprocess.run(command, capture_output=True, text=True, **kwargs)

    done = run("report", str(folder), "--format", "json", "--no-cache")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["traces"] == report_json(run_cli, folder, "--no-cache")["traces"]
    missing = run("report", str(tmp_path / "missing"))
    assert missing.returncode == 2 and missing.stderr.startswith("Error: ") and not missing.stdout
    assert run("report", "--bogus").returncode == 2
    shell = f"{shlex.quote(sys.executable)} -m buildprof report {shlex.quote(str(folder))} | head -1"
    early = subprocess.run(["sh", "-c", shell], capture_output=True, text=True)
    assert early.stdout == "Build summary\n" and early.stderr == ""
