"""Names from the build are data: no control character, markup or table break reaches the output,
lines never exceed the width, and long names are shortened in the middle, keeping what identifies them.
"""

from __future__ import annotations

import json
import os
import re

import msgspec
import pytest

from buildprof.jsonio import decode_json, encode_json
from buildprof.model.report import WhyDocument
from buildprof.render.escape import visible
from buildprof.render.layout import display_width, shorten
from buildprof.render.markdown import code, render_markdown
from buildprof.render.terminal import render_terminal

HOSTILE = [
    "\x1b[2J",  # clear the screen
    "\x1b]0;title\x07",  # set the window title (OSC ... BEL)
    "a\nb",  # a newline that would split a table row
    "a|b",  # a Markdown table pipe
    "x`y``z",  # backticks that would end a code span
    "</script><script>alert(1)</script>",
    "\x9b31m",  # C1 CSI
    "\u202eevil",  # right-to-left override
    "caf\udce9.h",  # a byte that was not UTF-8 (surrogateescape)
]
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def hostile_why(name: str) -> WhyDocument:
    """A `why` document whose every name is `name` (the renderers draw all of its parts)."""
    row = {"file": name, "count": 1, "incl_ms": 1.0}
    plain = {
        "schema": "buildprof",
        "schema_version": 1,
        "command": "why",
        "generator": "buildprof test",
        "build_dir": name,
        "skipped_inputs": [{"path": name, "message": "is a FIFO (named pipe), not a regular file: skipped"}],
        "trace_input": {
            "root": name,
            "source_root": "",
            "traces": 1,
            "parsed": 1,
            "cached": 0,
            "cache_dir": None,
            "cache_problem": None,
            "other_json": 0,
            "probes": [],
            "damaged": [{"path": name, "message": f"truncated or corrupt JSON: {name}"}],
            "damaged_events": [{"path": name, "events": 1, "message": f"event 1 {name!r}: duration -5 us"}],
            "demangler": "",
        },
        "trace_scope": {"covers": "all_traces", "builds": [], "tus": 1, "left_out": 0},
        "why": {
            "file": name,
            "incl_ms": 1.0,
            "self_ms": 1.0,
            "count": 1,
            "tus": 1,
            "tus_total": 1,
            "direct": True,
            "chains": [{"files": [name, name], "count": 1, "tus": 1, "ms": 1.0}],
            "chains_total": 1,
            "included_by": [row],
            "paying_tus": [{"trace": name, "source": name, "target": name, "incl_ms": 1.0, "count": 1}],
            "paying_targets": [{"target": name, "tus": 1, "incl_ms": 1.0}],
            "includes": [row],
        },
    }
    return msgspec.convert(plain, WhyDocument)


@pytest.mark.parametrize("name", HOSTILE)
def test_terminal_output_shows_names_as_text(name):
    text = render_terminal(hostile_why(name), width=100)
    assert not CONTROL.search(text)
    assert all(len(line) <= 100 for line in text.splitlines())
    assert visible(name) in text  # shown, not dropped
    lines = text.splitlines()
    table = lines.index(next(line for line in lines if line.startswith("Included directly by")))
    # title, rule, column labels, then one row holding the whole name (never split in two), then a gap
    assert lines[table + 3].endswith(visible(name)) and lines[table + 4] == ""


@pytest.mark.parametrize("name", HOSTILE)
def test_markdown_output_keeps_names_in_code_spans(name):
    markdown = render_markdown(hostile_why(name))
    assert not CONTROL.search(markdown)
    assert "<script>" not in markdown.replace(code(visible(name)), "").replace(
        code(visible(name), in_table=True), ""
    )
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    header = next(i for i, line in enumerate(markdown.splitlines()) if line == "## Included directly by")
    row = markdown.splitlines()[header + 4]
    unescaped_pipes = len(re.findall(r"(?<!\\)\|", row))
    assert unescaped_pipes == 4, row  # 3 cells: the name's pipes are escaped
    assert rows and "\\`" not in markdown  # no backslash-escaped backticks
    assert markdown.startswith(f"# buildprof why {code(visible(name))}\n")


def test_code_spans_survive_backticks_and_pipes():
    assert code("a`b") == "``a`b``"
    assert code("`a") == "`` `a ``"
    assert code("a|b", in_table=True) == "`a\\|b`"


def test_visible_escapes_each_unsafe_character_once():
    assert visible("\x1b[2J\x07\n\t") == "\\x1b[2J\\x07\\n\\t"
    assert visible("caf\udce9") == "caf\\xe9"  # the original byte
    assert visible("\u202e") == "\\u202e"
    assert visible("café 日本") == "café 日本"  # printable text is left alone


def test_json_keeps_names_exact_and_inert():
    """Names that were not UTF-8 round-trip through JSON (\\udcNN escapes) to their bytes; C1 and
    bidirectional controls are escaped so that JSON printed to a terminal is inert too."""
    name = "d\udcff/caf\udce9\x1b\x9b\u202e.h"
    data = encode_json({"file": name}, indent=2)
    assert b"\\udcff" in data and b"\\u009b" in data and b"\\u202e" in data
    assert not CONTROL.search(data.decode("utf-8"))
    assert json.loads(data)["file"] == name == decode_json(data)["file"]
    assert os.fsencode(json.loads(data)["file"]) == b"d\xff/caf\xe9\x1b\xc2\x9b\xe2\x80\xae.h"


@pytest.mark.parametrize(
    ("name", "width", "kept"),
    [
        (
            "absl::time_internal::cctz::detail::(anonymous namespace)::ParseOffset(char const*, char, int*)",
            50,
            "ParseOffset(",
        ),
        (
            "void std::vector<std::pair<std::__cxx11::basic_string<char, std::char_traits<char>, "
            "std::allocator<char> >, int>, std::allocator<std::pair<std::__cxx11::basic_string<char, "
            "std::char_traits<char>, std::allocator<char> >, int> > >::_M_realloc_insert<int>"
            "(__gnu_cxx::__normal_iterator<std::pair<int, int>*, std::vector<int> >, int&&)",
            60,
            "_M_realloc_insert<",
        ),
        ("std::__detail::_Compiler<std::regex_traits<char> >::_M_disjunction()", 40, "_M_disjunction"),
    ],
)
def test_function_names_keep_their_own_name_when_shortened(name, width, kept):
    short = shorten(name, width, "name")
    assert display_width(short) <= width and kept in short and "..." in short


def test_template_arguments_collapse_before_anything_else():
    name = "std::unordered_map<std::basic_string<char>, std::vector<std::pair<int, long>>>::operator[]"
    assert shorten(name, 40, "name") == "std::unordered_map<...>::operator[]"


def test_paths_keep_their_file_name():
    path = "/tmp/buildprof-capture/clang19-ninja1.11/src/meta/include/meta/typelist.h"
    short = shorten(path, 40, "path")
    assert short.endswith("/meta/typelist.h") and short.startswith("/tmp/") and len(short) == 40


def test_wide_characters_are_measured_in_columns():
    name = "src/日本語のヘッダ/" * 6 + "设置.h"
    short = shorten(name, 30, "path")
    assert display_width(short) <= 30 and short.endswith("设置.h")


@pytest.mark.parametrize("width", [20, 40, 60, 100, 160])
def test_no_line_exceeds_the_width(width):
    doc = hostile_why("/very/long/" * 20 + "std::vector<int>" * 10)
    text = render_terminal(doc, width=width)
    assert max(display_width(line) for line in text.splitlines()) <= width
