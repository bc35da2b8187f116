"""buildprof.ninja.deps against `ninja -t deps` (ninja 1.11) on real deps logs, on logs written here
record by record as src/deps_log.cc writes them, and on damaged ones (ninja keeps what precedes the
damage, and so must we)."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from ninja_tools import needs_ninja, ninja_deps, our_deps

from buildprof.errors import InputError
from buildprof.ninja.deps import read_ninja_deps
from buildprof.ninja.graph import read_build_graph


def deps_log(version: int, records: list[tuple]) -> bytes:
    """A `.ninja_deps` as ninja writes it: ("path", text or bytes) records get ids 0, 1, ... in order;
    ("deps", out_id, mtime, [ids]) records; a version 3 log has 32-bit mtimes."""
    out = [b"# ninjadeps\n", struct.pack("<i", version)]
    next_id = 0
    for record in records:
        if record[0] == "path":
            data = record[1] if isinstance(record[1], bytes) else record[1].encode()
            data += b"\0" * (-len(data) % 4)
            out += [struct.pack("<I", len(data) + 4), data, struct.pack("<I", ~next_id & 0xFFFFFFFF)]
            next_id += 1
        else:
            _, output, mtime, ids = record
            times = (
                struct.pack("<II", mtime & 0xFFFFFFFF, mtime >> 32)
                if version >= 4
                else struct.pack("<i", mtime)
            )
            body = struct.pack("<I", output) + times + struct.pack(f"<{len(ids)}I", *ids)
            out += [struct.pack("<I", len(body) | 0x80000000), body]
    return b"".join(out)


def records_of(data: bytes) -> list[tuple]:
    """The records of a version 4 log, in the shape deps_log() takes (to rewrite a real log)."""
    records, pos = [], 16
    while pos < len(data):
        (size,) = struct.unpack_from("<I", data, pos)
        body = data[pos + 4 : pos + 4 + (size & 0x7FFFFFFF)]
        if size >> 31:
            output, low, high, *ids = struct.unpack(f"<{len(body) // 4}I", body)
            records.append(("deps", output, low | high << 32, ids))
        else:
            records.append(("path", body[:-4].rstrip(b"\0").decode()))
        pos += 4 + (size & 0x7FFFFFFF)
    return records


def listing(folder: Path) -> list[tuple[str, int, list[str]]]:
    """Our reading of the folder's deps log as `ninja -t deps` lists it."""
    deps = read_ninja_deps(folder)
    assert deps is not None
    return our_deps(deps, read_build_graph(folder))


@needs_ninja
@pytest.mark.parametrize(("name", "records"), [("clang19-one-tu", 23), ("clang19-headers", 162)])
def test_captured_deps_equal_ninja(capture_copy, name, records):
    """clang19-headers' log also holds the records of each header's rebuild: the newest ones count."""
    folder = capture_copy(name)
    assert len([r for r in records_of((folder / ".ninja_deps").read_bytes()) if r[0] == "deps"]) == records
    ours = listing(folder)
    assert ours == ninja_deps(folder)
    deps = read_ninja_deps(folder)
    assert (deps.version, len(deps.outputs), len(deps.paths), len(deps.dep_ids)) == (4, 22, 374, 4432)
    assert ours[0][0] == "core/CMakeFiles/core.dir/src/log.cc.o" and len(ours[0][2]) == 209
    assert deps.problems == []


@pytest.mark.shared
def test_abseil_deps_equal_ninja(abseil_build, shared_data, tmp_path):
    """The recorded `ninja -t deps` of the abseil build, and (with ninja) a live one."""
    for name in ("build.ninja", "CMakeFiles/rules.ninja", ".ninja_deps"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(abseil_build / name, tmp_path / name)
    ours = listing(tmp_path)
    recorded = subprocess.run(
        ["zstd", "-dc", str(shared_data / "abseil-build" / "ninja-t-deps.txt.zst")],
        capture_output=True,
        check=True,
    ).stdout.decode()
    text = "".join(
        f"{o}: #deps {len(d)}, deps mtime {m}\n" + "".join(f"    {p}\n" for p in d) + "\n" for o, m, d in ours
    )
    assert text == "".join(
        line.rsplit(" (", 1)[0] + "\n" if "#deps" in line else line + "\n" for line in recorded.splitlines()
    )
    assert len(ours) == 159 and sum(len(d) for _, _, d in ours) == 43_565
    if Path("/usr/bin/ninja").exists():
        assert ours == ninja_deps(tmp_path)


MANIFEST = (
    "rule cc\n  command = cc $in\n  deps = gcc\nbuild a.o: cc a.c\nbuild b.o: cc b.c\nbuild c.o: cc c.c\n"
)
RECORDS = [
    ("path", "a.o"),
    ("path", "a.c"),
    ("path", "/usr/include/stdio.h"),
    ("deps", 0, 1_700_000_000_123_456_789, [1, 2]),
    ("path", "b.o"),
    ("path", "b.c"),
    ("path", "include/with a space/and_a_long_name.h"),
    ("deps", 3, 5_000_000_000, [4, 5, 2]),
    ("deps", 0, 1_800_000_000_000_000_000, [1]),  # a.o rebuilt: its newer record replaces the first
    ("path", "gone.o"),
    ("deps", 6, 7, []),  # not in the manifest any more: ninja -t deps leaves it out
]


def write(folder: Path, data: bytes) -> Path:
    """A build folder with the small manifest and this deps log."""
    folder.mkdir(exist_ok=True)
    (folder / "build.ninja").write_text(MANIFEST)
    (folder / ".ninja_deps").write_bytes(data)
    return folder


def test_written_log_newest_record_wins(tmp_path):
    deps = read_ninja_deps(write(tmp_path / "b", deps_log(4, RECORDS)))
    assert deps.paths == [
        "a.o",
        "a.c",
        "/usr/include/stdio.h",
        "b.o",
        "b.c",
        "include/with a space/and_a_long_name.h",
        "gone.o",
    ]
    assert list(deps.outputs) == [0, 3, 6] and list(deps.mtimes) == [
        1_800_000_000_000_000_000,
        5_000_000_000,
        7,
    ]
    assert list(deps.dep_offsets) == [0, 1, 4, 4] and list(deps.dep_ids) == [1, 4, 5, 2]
    assert deps.problems == []


@needs_ninja
def test_written_log_equals_ninja(tmp_path):
    folder = write(tmp_path / "b", deps_log(4, RECORDS))
    assert listing(folder) == ninja_deps(folder)
    assert [o for o, _, _ in listing(folder)] == ["a.o", "b.o"]


@needs_ninja
@pytest.mark.parametrize("cut", [-1, -3, -8, -13])
def test_truncated_log_keeps_the_records_before(tmp_path, cut):
    """A log cut inside its last records (ninja killed while writing): the whole records before the
    cut are read, the damaged one reported at its first byte; ninja keeps the same."""
    data = deps_log(4, RECORDS[:9])
    folder = write(tmp_path / "b", data[:cut])
    deps = read_ninja_deps(folder)
    last = len(data) - (4 + 4 * 4)  # the last record: size word, out id, two mtime halves, one input
    assert deps.problems == [f"truncated at byte {last}: the records from there on are damaged"]
    assert list(deps.mtimes) == [1_700_000_000_123_456_789, 5_000_000_000]
    assert listing(folder) == ninja_deps(folder)


@needs_ninja
def test_wrong_checksum_and_unknown_ids_stop_reading(tmp_path):
    data = deps_log(4, RECORDS[:8])
    damaged = bytearray(data)
    checksum_of_b_c = data.index(b"b.c\0") + 4
    damaged[checksum_of_b_c : checksum_of_b_c + 4] = struct.pack("<I", ~99 & 0xFFFFFFFF)
    folder = write(tmp_path / "b", bytes(damaged))
    deps = read_ninja_deps(folder)
    assert deps.paths == ["a.o", "a.c", "/usr/include/stdio.h", "b.o"] and len(deps.outputs) == 1
    assert deps.problems == [
        f"truncated at byte {checksum_of_b_c - 8}: the records from there on are damaged"
    ]
    assert listing(folder) == ninja_deps(folder)
    # A deps record naming a path id defined after it (two ninjas writing at once): damage there too.
    unknown = deps_log(4, [*RECORDS[:3], ("deps", 0, 1, [1, 7]), *RECORDS[3:8]])
    deps = read_ninja_deps(write(tmp_path / "c", unknown))
    assert deps.paths == ["a.o", "a.c", "/usr/include/stdio.h"] and len(deps.outputs) == 0
    assert deps.problems == ["truncated at byte 68: the records from there on are damaged"]


@needs_ninja
def test_version_3_log_reads_as_its_version_4_original(capture_copy, tmp_path):
    """ninja 1.8 wrote version 3 (32-bit mtimes); Debian's ninja 1.11 only writes and reads version 4.
    The captured log rewritten as version 3 gives ninja's reading of the original, mtimes cut to 32 bits."""
    original = capture_copy("clang19-one-tu")
    v3 = tmp_path / "v3"
    shutil.copytree(original, v3)
    records = records_of((original / ".ninja_deps").read_bytes())
    (v3 / ".ninja_deps").write_bytes(
        deps_log(3, [(*r[:2], r[2] & 0x7FFFFFFF, r[3]) if r[0] == "deps" else r for r in records])
    )
    ours = listing(v3)
    assert read_ninja_deps(v3).version == 3
    assert [(o, m & 0x7FFFFFFF, d) for o, m, d in ninja_deps(original)] == ours


def test_hostile_paths_are_kept_as_written(tmp_path):
    """A NUL inside a path (ninja keeps it: only up to 3 trailing NULs are padding) and bytes that are
    not UTF-8 come back as written (undecodable bytes as surrogate escapes)."""
    data = deps_log(4, [("path", b"a\0b.o"), ("path", b"c\xff.h"), ("deps", 0, 5, [1])])
    deps = read_ninja_deps(write(tmp_path / "b", data))
    assert deps.paths == ["a\0b.o", "c\udcff.h"] and list(deps.dep_ids) == [1]


def test_bad_signature_unknown_version_and_no_log(tmp_path):
    assert read_ninja_deps(tmp_path) is None
    for data in (b"", b"# ninjalog v5\n\0\0\0\0", deps_log(4, [])[:14]):
        (tmp_path / ".ninja_deps").write_bytes(data)
        with pytest.raises(InputError) as error:
            read_ninja_deps(tmp_path)
        assert error.value.path == str(tmp_path / ".ninja_deps")
    (tmp_path / ".ninja_deps").write_bytes(deps_log(5, RECORDS))
    with pytest.raises(InputError) as error:
        read_ninja_deps(tmp_path)
    assert "version 5" in error.value.detail
    empty = read_ninja_deps(write(tmp_path / "e", deps_log(4, [])))
    assert (len(empty.paths), len(empty.outputs), len(empty.dep_ids), empty.problems) == (0, 0, 0, [])


def test_a_fifo_is_never_opened(tmp_path, hang_guard):
    os.mkfifo(tmp_path / ".ninja_deps")
    with pytest.raises(InputError) as error:
        read_ninja_deps(tmp_path)
    assert error.value.path == str(tmp_path / ".ninja_deps")


@needs_ninja
def test_generated_cmake_like_build_equals_ninja(tmp_path):
    """The benchmark's generator at a small size (scripts/bench_graph.py): its manifest node by node
    and its deps log record by record, as ninja reads them."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import numpy as np
    from bench_graph import write_deps, write_manifest
    from test_ninja_graph import assert_same_as_ninja

    rng = np.random.default_rng(9)
    objects = write_manifest(tmp_path, 3000, rng)
    write_deps(tmp_path / ".ninja_deps", objects[:400], 300, rng)
    counts = assert_same_as_ninja(tmp_path)
    assert counts["edges"] == 3006  # 17 libraries (the last with 39 objects), one executable, `all`
    ours = listing(tmp_path)
    assert len(ours) == 400 and {len(d) for _, _, d in ours} == {300}
    assert ours == ninja_deps(tmp_path)
