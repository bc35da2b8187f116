"""buildprof.ninja.log on real logs (ninja 1.11 v5, 1.13 v7, abseil), damaged ones and edge cases.

Every parse is checked against `reference_parse`, an obvious line-by-line parser written here, so the
vectorised byte arithmetic is pinned to plain Python semantics.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from buildprof.errors import InputError
from buildprof.ninja import fields as byte_fields
from buildprof.ninja import log as ninja_log
from buildprof.ninja.log import MAX_PROBLEMS, parse_ninja_log, read_ninja_log

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from gen_ninja_log import generate

_CONTROL = re.compile(rb"[\x00-\x08]")
_HEX = set(b"0123456789abcdefABCDEF")


def reference_parse(data: bytes) -> tuple[list[tuple], list[int]]:
    """(rows, damaged line numbers) of a log body, one line at a time with int() per field."""
    lines = data.split(b"\n")[1:]
    unterminated = lines[-1] != b""
    if not unterminated:
        lines.pop()
    rows, bad = [], []
    for number, line in enumerate(lines, start=2):
        fields = line.split(b"\t")
        if (unterminated and number == len(lines) + 1) or len(fields) != 5 or _CONTROL.search(line):
            bad.append(number)
            continue
        start, end, mtime, output, cmdhash = fields
        cmdhash = cmdhash[:-1] if cmdhash.endswith(b"\r") else cmdhash
        valid = (
            all(f.isdigit() for f in (start, end, mtime))
            and len(start) <= 16
            and len(end) <= 16
            and len(mtime) <= 19
            and output != b""
            and 0 < len(cmdhash) <= 16
            and set(cmdhash) <= _HEX
        )
        if not valid or int(end) < int(start) or int(mtime) >= 2**63:
            bad.append(number)
            continue
        text = output.decode("utf-8", "surrogateescape")
        rows.append((number, int(start), int(end), int(mtime), text, int(cmdhash, 16)))
    return rows, bad


def assert_matches_reference(data: bytes) -> None:
    """parse_ninja_log(data) holds exactly the rows and damaged lines the reference parser finds."""
    log = parse_ninja_log(data)
    rows, bad = reference_parse(data)
    got = list(log.entries.itertuples(index=False, name=None))
    assert [(*tuple(r[:4]), r[4], int(r[5])) for r in got] == rows
    assert [p.line for p in log.problems] == bad
    assert log.problems_total == len(bad)
    assert log.total_lines == len(data.split(b"\n")) - 1 - (data.endswith(b"\n"))


# ---- real logs ----------------------------------------------------------------------------------


def test_debian_ninja_1_11_log_is_v5_with_all_lines(captures):
    path = captures / "clang19-ninja1.11" / ".ninja_log"
    facts = json.loads((captures / "clang19-ninja1.11" / "capture.json").read_text())
    log = read_ninja_log(path)
    assert log.version == 5 == facts["log_version"]
    assert len(log.entries) == 63 == facts["log_entries"]
    assert log.problems == []
    assert log.entries["output"].nunique() == 34 == facts["log_unique_outputs"]
    first = log.entries.iloc[0]
    assert (first.line, first.start_ms, first.output) == (2, 1, "core/CMakeFiles/core.dir/src/log.cc.o")
    assert_matches_reference(path.read_bytes())


@pytest.mark.parametrize("capture", ["clang14-ninja1.13", "clang19-ninja1.13"])
def test_pypi_ninja_1_13_log_is_v7(captures, capture):
    path = captures / capture / ".ninja_log"
    log = read_ninja_log(path)
    assert log.version == 7
    assert len(log.entries) == 34 and log.problems == []
    assert log.entries["cmdhash"].dtype == np.uint64
    assert_matches_reference(path.read_bytes())


def test_recompacted_log_parses_like_any_other(captures):
    path = captures / "clang19-ninja1.11" / "ninja_log.recompacted"
    log = read_ninja_log(path)
    assert (log.version, len(log.entries), log.entries["output"].nunique()) == (5, 34, 34)
    assert_matches_reference(path.read_bytes())


@pytest.mark.shared
def test_abseil_log(abseil_build):
    log = read_ninja_log(abseil_build / ".ninja_log")
    assert (log.version, len(log.entries), log.total_lines, log.problems) == (5, 253, 253, [])
    assert_matches_reference((abseil_build / ".ninja_log").read_bytes())


# ---- headers and files that are not logs --------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("# ninja log v4", "ninja log version 4 is not supported: it comes from a ninja older than 1.0"),
        ("# ninja log v8", "ninja log version 8 is not supported: it comes from a ninja newer than 1.13"),
    ],
)
def test_unsupported_versions_name_file_and_line_1(captures, tmp_path, header, expected):
    body = (captures / "clang19-ninja1.11" / ".ninja_log").read_bytes().split(b"\n", 1)[1]
    path = tmp_path / ".ninja_log"
    path.write_bytes(header.encode() + b"\n" + body)
    with pytest.raises(InputError) as caught:
        read_ninja_log(path)
    assert (caught.value.path, caught.value.line) == (str(path), 1)
    assert str(caught.value).startswith(f"{path}:1: {expected}")
    assert str(caught.value).endswith("(buildprof reads v5 to v7, written by ninja 1.0 to 1.13)")


def test_a_file_that_is_not_a_log(captures):
    path = captures / "clang19-ninja1.11" / "compile_commands.json"
    with pytest.raises(InputError) as caught:
        read_ninja_log(path)
    assert str(caught.value) == f"{path}:1: not a ninja log: first line is '[', expected '# ninja log vN'"


def test_empty_missing_and_folder(tmp_path):
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty: the ninja log is empty"):
        read_ninja_log(empty)
    with pytest.raises(InputError, match=r"nope: no such file"):
        read_ninja_log(tmp_path / "nope")
    with pytest.raises(InputError, match=r"is a folder, not a ninja log"):
        read_ninja_log(tmp_path)


def test_header_only_log_has_no_entries():
    for data in (b"# ninja log v5\n", b"# ninja log v7"):
        log = parse_ninja_log(data)
        assert (len(log.entries), log.total_lines, log.problems) == (0, 0, [])
        assert list(log.entries.columns) == ["line", "start_ms", "end_ms", "mtime", "output", "cmdhash"]


# ---- damaged logs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "line", "message", "valid"),
    [
        ("ninja_log.truncated", 64, "incomplete last line (no newline at the end)", 62),
        ("ninja_log.glued", 35, "8 fields instead of 5: a killed build's partial line, the next one", 61),
        ("ninja_log.invalid_start", 21, "start time 'bad' is not a whole number of ms", 62),
    ],
)
def test_real_damaged_logs_report_the_line_and_keep_the_rest(captures, name, line, message, valid):
    path = captures / "damaged" / name
    facts = json.loads((captures / "damaged" / "damage.json").read_text())
    log = read_ninja_log(path)
    assert [p.line for p in log.problems] == [line] == facts[name]["damaged_lines"]
    assert log.problems[0].message.startswith(message)
    assert len(log.entries) == valid
    assert line not in set(log.entries["line"])
    assert_matches_reference(path.read_bytes())


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("1\t2\t3\tout.o\t", "command hash '' is not a hexadecimal number"),
        ("1\t2\t3\tout.o\t12345678901234567", "command hash '12345678901234567' is not a hexadecimal"),
        ("1\t2\t3\tout.o\tabcg", "command hash 'abcg' is not"),
        ("1\t2\t3\t\tabc", "output path is empty"),
        ("5\t2\t3\tout.o\tabc", "ends before it starts"),
        ("1\t-2\t3\tout.o\tabc", "end time '-2' is not a whole number of ms (at most 16 digits)"),
        ("7\tx\t3\tout.o\tabc", "end time 'x' is not a whole number of ms (at most 16 digits)"),
        ("1\t2\t9223372036854775808\tout.o\tabc", "mtime '9223372036854775808' is not a whole number"),
        ("1\t2\t12345678901234567890\tout.o\tabc", "mtime '12345678901234567890' is not"),
        ("12345678901234567\t2\t3\tout.o\tabc", "start time '12345678901234567' is not"),
        ("+1\t2\t3\tout.o\tabc", "start time '+1' is not"),
        (" 1\t2\t3\tout.o\tabc", "start time ' 1' is not"),
        ("1\t2\t3\tout.o\t0x1f", "command hash '0x1f' is not"),
        ("1\t2\t3\tout.o", "4 fields instead of 5 (fields are separated by TABs)"),
        ("1\t2\t3\tout\x01.o\tabc", "holds control characters"),
        ("", "empty line"),
    ],
)
def test_each_kind_of_damage_is_named(line, message):
    data = f"# ninja log v5\n1\t2\t3\tok.o\tabc\n{line}\n4\t5\t6\tok2.o\tdef\n".encode()
    log = parse_ninja_log(data, "x/.ninja_log")
    assert [(p.line, p.message[: len(message)]) for p in log.problems] == [(3, message)]
    assert "ends before it starts" not in log.problems[0].message or message == "ends before it starts"
    assert list(log.entries["output"]) == ["ok.o", "ok2.o"]
    assert_matches_reference(data)


def test_extreme_but_valid_values():
    data = (
        b"# ninja log v6\n"
        b"0\t0\t9223372036854775807\ta\tffffffffffffffff\n"
        b"0000000000000001\t9999999999999999\t0\t" + b"p" * 300 + b"\t0\n"
        b"7\t7\t1\t\xc3\xa9t\xc3\xa9 \xff.o\tABCDEF\r\n"
    )
    log = parse_ninja_log(data)
    assert log.problems == []
    assert log.entries["mtime"].tolist() == [2**63 - 1, 0, 1]
    assert log.entries["cmdhash"].tolist() == [2**64 - 1, 0, 0xABCDEF]
    assert log.entries["output"].tolist() == ["a", "p" * 300, "été \udcff.o"]
    assert_matches_reference(data)


@pytest.mark.parametrize("block", [4 << 20, 5000])
def test_a_log_of_damaged_lines_is_counted_whole_and_described_in_part(block, monkeypatch):
    monkeypatch.setattr(ninja_log, "_BLOCK_BYTES", block)
    data = b"# ninja log v5\n" + b"".join(b"%d\t%d\tx\tout%d\tab\n" % (i, i, i) for i in range(12_000))
    log = parse_ninja_log(data + b"1\t2\t3\tok\tab\n")
    assert (log.problems_total, len(log.problems), len(log.entries)) == (12_000, MAX_PROBLEMS, 1)
    assert [p.line for p in log.problems] == list(range(2, 2 + MAX_PROBLEMS))
    assert log.problems[-1].message == "mtime 'x' is not a whole number (at most 19 digits, below 2**63)"


# ---- agreement with the reference parser on generated and mutated logs ----------------------


@pytest.mark.parametrize(("version", "seed", "block"), [(5, 1, 4 << 20), (7, 2, 1000), (6, 3, 1)])
def test_generated_logs_match_the_reference(version, seed, block, monkeypatch):
    """Also with the log cut into many blocks (a block always ends after a newline)."""
    monkeypatch.setattr(ninja_log, "_BLOCK_BYTES", block)
    data = generate(3000, version, seed, builds=4, jobs=8, damaged=9).encode()
    log = parse_ninja_log(data)
    assert log.version == version and len(log.problems) >= 4
    assert_matches_reference(data)


def test_the_generator_is_deterministic_and_realistic(tmp_path):
    """scripts/gen_ninja_log.py: same seed, same bytes; several builds; CMake-like paths; damage."""
    from gen_ninja_log import main

    assert main(["--lines", "20000", "--seed", "3", "--version", "7", "-o", str(tmp_path / "a")]) == 0
    assert main(["--lines", "20000", "--seed", "3", "--version", "7", "-o", str(tmp_path / "b")]) == 0
    data = (tmp_path / "a").read_bytes()
    assert data == (tmp_path / "b").read_bytes() != generate(20000, 7, 4, 5, 64, 6).encode()
    log = parse_ninja_log(data)
    # Each line cut by a killed build is glued to the next one: two lines become one.
    assert log.version == 7 and 19_995 <= log.total_lines <= 20_000 and 6 <= log.problems_total <= 8
    lengths = sorted(log.entries["output"].str.len())
    assert lengths[len(lengths) // 10] >= 60 and lengths[len(lengths) * 9 // 10] <= 120
    assert (log.entries.groupby(["cmdhash", "start_ms", "end_ms"]).size() > 1).sum() > 10
    from buildprof.analysis.builds import split_builds

    assert 4 <= len(split_builds(log.entries).builds) <= 6


def test_random_byte_damage_matches_the_reference(monkeypatch):
    monkeypatch.setattr(ninja_log, "_BLOCK_BYTES", 2000)
    rng = random.Random(7)
    base = bytearray(generate(400, 5, 4, builds=2, jobs=4, damaged=0).encode())
    header_end = base.index(b"\n") + 1
    for _ in range(60):
        data = bytearray(base)
        for _ in range(rng.randint(1, 12)):
            at = rng.randrange(header_end, len(data))
            data[at] = rng.choice(b"\t\n\r\x00\x07 x-+0123456789abcdefG/.\xff")
        if rng.random() < 0.3:
            del data[rng.randrange(header_end, len(data)) :]
        assert_matches_reference(bytes(data))


def test_fingerprint_collisions_fall_back_to_the_exact_method(monkeypatch):
    """If two different paths ever shared a fingerprint, the parse would still be exact."""
    data = generate(500, 5, 5, builds=2, jobs=4, damaged=0).encode()
    expected = parse_ninja_log(data).entries

    def colliding(raw, lo, length):
        first, second = real(raw, lo, length)
        return np.zeros_like(first), second  # every path has the same first half

    real = byte_fields._fingerprints
    monkeypatch.setattr(byte_fields, "_fingerprints", colliding)
    pd.testing.assert_frame_equal(parse_ninja_log(data).entries, expected)


def test_the_generator_writes_short_paths_when_asked(tmp_path):
    """--short-paths: one clean build of unique, CMake-like paths of about 40 characters (lines of
    about 100 bytes), for the memory goal on logs shorter than the default's per step."""
    from gen_ninja_log import main

    out = tmp_path / "short"
    assert (
        main(["--lines", "20000", "--edges", "20000", "--damaged", "0", "--short-paths", "-o", str(out)]) == 0
    )
    assert generate(20000, 5, 0, 5, 64, 0, 20000).encode() != out.read_bytes()
    log = parse_ninja_log(out.read_bytes())
    paths = log.paths.all()
    lengths = sorted(len(path) for path in paths)
    assert log.problems_total == 0 and len(set(paths)) == len(paths) == 20_000
    assert 30 <= lengths[len(lengths) // 2] <= 50 and 85 <= out.stat().st_size / 20_000 <= 115
    assert sum("/CMakeFiles/" in path for path in paths) > len(paths) // 2
    from buildprof.analysis.builds import split_builds

    assert len(split_builds(log).builds) == 1


def test_mtimes_and_hashes_are_read_again_from_the_file_as_first_parsed():
    """The mtime and cmdhash columns are not held (model.ninja.LogColumns): read again when asked, of
    every width, after short fields, damaged lines or a CR, they are what the lines say."""
    rng = random.Random(11)
    lines, want, hashes = [b"# ninja log v6"], [], []
    for k in range(3000):
        mtime = rng.choice([0, 7, 10 ** rng.randint(1, 18) + k, 2**63 - 1, 1_790_000_000_123_456_789])
        cmdhash = rng.choice([0, 1, rng.getrandbits(rng.randint(1, 64)), 2**64 - 1])
        start = rng.choice([0, 5, 123456])
        end = b"\r" if rng.random() < 0.3 else b""
        lines.append(b"%d\t%d\t%d\tp/%d.o\t%x%s" % (start, start + rng.randint(0, 9), mtime, k, cmdhash, end))
        want.append(mtime)
        hashes.append(cmdhash)
        if rng.random() < 0.05:
            lines.append(b"1\t2\tx\tdamaged\t1")
    log = parse_ninja_log(b"\n".join(lines) + b"\r\n")
    assert "mtime" in log.columns and log.columns["mtime"].tolist() == want
    assert log.entries["mtime"].tolist() == want
    assert log.columns["cmdhash"].tolist() == hashes and log.columns["cmdhash"].dtype == np.uint64
    assert log.entries["cmdhash"].tolist() == hashes


def test_a_part_of_a_column_read_again_is_that_part_of_it():
    log = parse_ninja_log(generate(3000, 7, 12, 3, 8, 4).encode())
    for name in ("cmdhash", "mtime", "start_ms"):
        whole = log.columns[name]
        for first, stop in ((0, 0), (0, 10), (17, 2500), (2000, len(whole))):
            assert log.columns.part(name, first, stop).tolist() == whole[first:stop].tolist()
