"""Output people read: the terminal's width, patterns that match what the tables show, titles, help."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import pty
import shutil
import struct
import subprocess
import sys
import tempfile
import termios

import pytest

CAPTURE = "clang19-ninja1.11"


@pytest.fixture()
def build(capture_copy):
    return capture_copy(CAPTURE)


def _in_a_terminal(args: list[str], columns: int, env_columns: str | None) -> list[str]:
    """The lines `python -m buildprof args` prints to a pseudo-terminal `columns` wide."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if env_columns is not None:
        env["COLUMNS"] = env_columns
    process = subprocess.Popen(
        [sys.executable, "-m", "buildprof", *args], stdout=slave, stderr=subprocess.DEVNULL, env=env
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError as exc:  # EIO: the other side is closed
            assert exc.errno == errno.EIO
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert process.wait(timeout=120) == 0
    return b"".join(chunks).decode().replace("\r\n", "\n").splitlines()


@pytest.mark.parametrize(("columns", "env_columns", "width"), [(90, None, 90), (150, "64", 64)])
def test_a_terminal_report_uses_the_terminal_width(build, columns, env_columns, width):
    lines = _in_a_terminal(["report", str(build), "--all-traces"], columns, env_columns)
    assert max(map(len, lines)) <= width
    assert max(map(len, lines)) >= width - 3  # the width is used, not a fixed 100


def test_piped_output_is_100_columns_wide(build, run_cli):
    text = run_cli("report", build, "--all-traces", "--top", "40").stdout
    assert max(map(len, text.splitlines())) == 100


def test_a_sentence_wraps_and_its_names_stay_whole(build, run_cli):
    short = tempfile.mkdtemp(prefix="bp", dir="/tmp")  # a path that fits a line, in a long sentence
    try:
        os.symlink(build, f"{short}/clang19-ninja1.11")
        text = run_cli("report", f"{short}/clang19-ninja1.11", "--all-traces").stdout
    finally:
        shutil.rmtree(short)
    assert f"traces under {short}/clang19-ninja1.11;" in text.replace("\n" + " " * 16, " ")


def test_header_match_finds_what_the_table_shows(build, run_cli):
    def matched(pattern: str) -> list[str]:
        result = run_cli("headers", build, "--match", pattern, "--top", "100", "--format", "json")
        assert result.exit_code == 0, result.output
        return sorted(
            r["file"].rsplit("/", 2)[-2] + "/" + r["file"].rsplit("/", 1)[-1]
            for r in json.loads(result.stdout)["headers"]["rows"]
        )

    shown = matched("meta/*")  # the end of the path, as in `meta/include/meta/typelist.h`
    assert shown == ["meta/reflect.h", "meta/typelist.h", "meta/visit.h"]
    assert matched("*/meta/include/meta/*") == shown  # an end after a '/'
    assert matched("/tmp/buildprof-capture/*/meta/include/meta/*") == shown  # the full path
    assert matched("typelist.h") == ["meta/typelist.h"]
    assert matched("src/meta/include/meta/visit.h") == ["meta/visit.h"]  # relative to the sources


def test_template_and_function_help_show_name_patterns(run_cli):
    assert "'std::vector<*'" in run_cli("templates", "--help").stdout
    assert "'*::parse*'" in run_cli("functions", "--help").stdout
    assert "'absl/strings/*'" in run_cli("headers", "--help").stdout


@pytest.mark.parametrize(
    "command", [["report"], ["headers"], ["templates"], ["functions"], ["why", "common.h"]]
)
def test_each_markdown_document_has_its_command_title(build, run_cli, command):
    markdown = run_cli(*command, build, "--format", "markdown").stdout
    title = markdown.splitlines()[0]
    if command[0] == "why":
        assert title.startswith("# buildprof why `") and title.endswith("sample/common.h`")
    else:
        assert title == f"# buildprof {command[0]}: `{build}`"
    assert (
        "\\`" not in markdown
        and "`buildprof why FILE`" in run_cli("headers", build, "--format", "markdown").stdout
    )


def test_any_terminal_width_is_kept_even_a_tiny_one(captures, hang_guard):
    """Every width from 1 column up: no line wider (and no endless wrapping on a narrow terminal)."""
    from buildprof.pipeline import ReportOptions, build
    from buildprof.render.layout import display_width
    from buildprof.render.terminal import render_terminal

    doc = build("report", str(captures / CAPTURE), ReportOptions(use_cache=False, all_traces=True))
    for width in [*range(1, 41), 57, 80, 133, 250]:
        text = render_terminal(doc, width=width)
        assert max(display_width(line) for line in text.splitlines()) <= width, width
