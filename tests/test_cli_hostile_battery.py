"""A battery of hostile inputs, each added to a copy of a real build folder: exit 0 or 2, no traceback,
no hang, no control character in terminal or Markdown output, and no input file changed.

Families: traces that are not traces or are broken in every way JSON allows, names full of control
characters and markup, ninja logs of garbage, manifests that include themselves or blow up their
variables, odd patterns and header names, unusable cache folders. The command line runs in-process
(`buildprof.cli.run`, exactly what the console script runs, without its final os._exit).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from buildprof.cli import run

CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xa8-\xae]")
X = {"ph": "X", "ts": 0, "dur": 10, "name": "ExecuteCompiler"}


def _trace(events: list, **top) -> bytes:
    return json.dumps({"traceEvents": events, **top}).encode()


TRACES: dict[str, bytes] = {
    "events not a list": b'{"traceEvents": 5}',
    "events not objects": b'{"traceEvents": [1, "a", null, []]}',
    "fields of the wrong type": _trace([{"ph": 1, "ts": "0", "dur": "5", "name": 7}, X]),
    "a number beyond float": b'{"traceEvents":[{"ph":"X","ts":1e400,"dur":5,"name":"ExecuteCompiler"}]}',
    "a byte-order mark": b"\xef\xbb\xbf" + _trace([X]),
    "UTF-16": json.dumps({"traceEvents": [X]}).encode("utf-16"),
    "trailing garbage": _trace([X]) + b"garbage",
    "lone surrogate escapes": b'{"traceEvents":[{"ph":"X","ts":0,"dur":5,"name":"Source",'
    b'"args":{"detail":"\\ud800x\\udce9"}},' + json.dumps(X).encode() + b"]}",
    "names of control characters and markup": _trace(
        [
            {
                "ph": "X",
                "ts": 0,
                "dur": 5,
                "name": "InstantiateClass",
                "args": {"detail": "v<\x1b[2J\n|`</script>" * 999},
            },
            {"ph": "X", "ts": 0, "dur": 5, "name": "Source", "args": {"detail": "a\x1b]0;t\x07\n|\u202e.h"}},
            {"ph": "X", "ts": 0, "dur": 5, "name": "OptFunction", "args": {"detail": "_Z3foo\x1b[2Jv"}},
            {"ph": "X", "ts": 0, "dur": 9, "name": "OptModule", "args": {"detail": "m\x9b.cc"}},
            {"ph": "X", "ts": 0, "dur": 9, "name": "Frontend\x1b[31m"},
            X,
        ]
    ),
    "paths that climb out": _trace(
        [
            {
                "ph": "X",
                "ts": 0,
                "dur": 5,
                "name": "Source",
                "args": {"detail": "../../../../../../etc/passwd"},
            },
            {"ph": "X", "ts": 1, "dur": 2, "name": "Source", "args": {"detail": "C:\\x\\..\\..\\..\\y"}},
            X,
        ]
    ),
    "null": b"null",
    "200,000 events": _trace(
        [{"ph": "X", "ts": i, "dur": 1, "name": "ParseClass"} for i in range(200_000)]
        + [{**X, "dur": 300_000}]
    ),
    "ids and args of other shapes": _trace(
        [{"ph": "X", "ts": 0, "dur": 5, "name": "Source", "id": {"a": 1}, "args": [1, 2]}, X]
    ),
    "repeated keys": b'{"traceEvents":[{"ph":"X","ph":"B","ts":0,"ts":5,"dur":5,"name":"ExecuteCompiler"}],'
    b'"traceEvents":[]}',
    "beginningOfTime a string": _trace([X], beginningOfTime="x"),
    "cut in the middle": _trace([X] * 50)[:400],
}

LOGS: dict[str, bytes] = {
    "garbage": b"# ninja log v5\n" + bytes(range(256)) * 20,
    "NUL bytes": b"# ninja log v5\n1\t2\t3\tfoo\x00bar.o\tabc\n10\t20\t30\tx.o\tdef\n",
    "outputs of control characters and markup": b"# ninja log v5\n1\t200\t3\tout\x1b[2J|</script>`.o\tabc\n"
    b"10\t20\t30\tx\xc2\x9b\xe2\x80\xaey\xff.o\tdef\n",
    "numbers out of range": b"# ninja log v5\n-1\t2\t3\ta.o\tabc\n1\t99999999999999999999\t3\tb.o\tabc\n",
    "one 10 MB line": b"# ninja log v5\n1\t2\t3\t" + b"a" * 10_000_000,
    "CRLF": b"# ninja log v5\r\n1\t20\t3\ta.o\tabc\r\n5\t30\t3\tb.o\tabd\r\n",
    "a NUL in the header": b"# ninja\x00 log v5\n1\t2\t3\ta.o\tabc\n",
    "100,000 empty lines": b"# ninja log v5\n" + b"\n" * 100_000,
}

MANIFESTS: dict[str, str] = {
    "a variable doubled 60 times": "x = 1\n" + "x = $x$x\n" * 60 + "build $x.o: cc a\n",
    "an include of itself": "include build.ninja\nbuild a.o: cc a\n",
    "a subninja cycle": "subninja sub.ninja\n",
    "an include of a folder": "include CMakeFiles\nbuild a.o: cc a\n",
    "100,000 outputs": "build " + " ".join(f"o{i}.o" for i in range(100_000)) + ": cc a\n",
    "a dangling continuation": "build a.o: cc a $\n",
}


def _add_trace(data: bytes) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        (folder / "hostile.cc.json").write_bytes(data)
        (folder / "hostile.cc.o").write_bytes(b"")

    return setup


def _replace_log(data: bytes) -> Callable[[Path], None]:
    return lambda folder: (folder / ".ninja_log").write_bytes(data)


def _add_manifest(text: str) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        (folder / "build.ninja").write_text(text)
        (folder / "sub.ninja").write_text("subninja sub.ninja\nbuild s.o: cc s\n")

    return setup


CASES: list[tuple[str, Callable[[Path], None], list[str]]] = [
    *((f"trace: {name}", _add_trace(data), ["report", "--all-traces"]) for name, data in TRACES.items()),
    *((f"trace in headers: {name}", _add_trace(data), ["headers"]) for name, data in TRACES.items()),
    *((f"log: {name}", _replace_log(data), ["report"]) for name, data in LOGS.items()),
    *((f"manifest: {name}", _add_manifest(text), ["report"]) for name, text in MANIFESTS.items()),
    ("why of an empty name", lambda folder: None, ["why", ""]),
    ("why of an escape sequence", lambda folder: None, ["why", "\x1b]0;owned\x07"]),
    ("an unbalanced pattern", lambda folder: None, ["headers", "--match", "[a-"]),
    ("a pattern of escapes", lambda folder: None, ["templates", "--match", "\x1b[2J*"]),
]


def _snapshot(folder: Path) -> dict[str, str]:
    """Every input file's content hash (buildprof's own cache excluded)."""
    return {
        str(path): hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "not a file"
        for path in folder.rglob("*")
        if ".buildprof" not in path.parts and not path.is_dir()
    }


@pytest.mark.parametrize(("name", "setup", "args"), CASES, ids=[case[0] for case in CASES])
def test_hostile_input(name, setup, args, capture_copy, capfdbinary, hang_guard):
    folder = capture_copy("clang19-ninja1.11")
    setup(folder)
    before = _snapshot(folder)
    command, rest = args[0], args[1:]
    arguments = (
        [command, rest[0], str(folder), *rest[1:]] if command == "why" else [command, str(folder), *rest]
    )
    for fmt in ("terminal", "markdown", "json"):
        code = run([*arguments, "--format", fmt])
        out, err = capfdbinary.readouterr()
        assert code in (0, 2), err
        assert b"Traceback" not in err and b"internal error" not in err, err
        if code == 2:
            assert err.startswith(b"Error: ") and err.count(b"\n") == 1, err
        assert not CONTROL.search(err.replace(b"\n", b"")), err
        if fmt == "json":
            assert code == 2 or json.loads(out)["command"] == command
        else:
            assert not CONTROL.search(out), out[:2000]
    assert _snapshot(folder) == before
