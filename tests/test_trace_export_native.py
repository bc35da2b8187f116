"""`buildprof trace`'s C modules (render._trace_native, analysis._export_native) against the Python path:
the same bytes for real captures and random columns with hostile names, the same lanes; and the
export's own step analysis equal to `report`'s (analysis.ninja_report.analyse_build)."""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from buildprof.analysis import lanes as lanes_module
from buildprof.analysis.builds import split_builds
from buildprof.analysis.ninja_report import analyse_build
from buildprof.model.trace_export import TraceExport
from buildprof.ninja.log import read_ninja_log
from buildprof.ninja.manifest import read_ninja_manifest
from buildprof.pipeline_trace import trace_export
from buildprof.render import chrome_trace as writer

CAPTURES = (
    "clang19-ninja1.11",
    "clang19-ninja1.13",
    "clang14-ninja1.13",
    "clang19-one-tu",
    "clang19-headers",
)
NATIVE_ENV = "BUILDPROF_NO_NATIVE"


@pytest.fixture(scope="module")
def native():
    if writer._trace_native is None or lanes_module._export_native is None:
        pytest.skip("the trace export's C modules are not built here: only the Python path exists")


def test_a_compiler_here_means_the_modules_are_built():
    """CI must not quietly test only the Python path: with a C compiler, both modules must exist."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler here: buildprof installs without its C modules")
    for module in (writer._trace_native, lanes_module._export_native):
        assert module is not None, f"{compiler} exists but a C module is not importable: pip install -e ."


def both_writers(export: TraceExport, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, bytes]:
    """The trace file of `export` by the Python writer, then by the C one."""
    monkeypatch.setenv(NATIVE_ENV, "1")
    reference = b"".join(writer.chrome_trace(export))
    monkeypatch.setenv(NATIVE_ENV, "0")
    return reference, b"".join(writer.chrome_trace(export))


@pytest.mark.parametrize("capture", CAPTURES)
def test_real_captures_give_the_same_bytes(native, captures, capture, monkeypatch):
    export = trace_export(str(captures / capture))
    reference, fast = both_writers(export, monkeypatch)
    assert fast == reference
    json.loads(fast)


HOSTILE = [
    b'quote"and\\backslash.o',
    b"ctrl\x1b[31m\x0e\x7f\x01\x08\x0c\x0d\x1fbell.o",
    "bidi\u202e\u2066\u061c\u200e\u2028\u2029\ufeff\x85\x9f\xa0txt.o".encode(),
    "caf\xe9 \U0001f600 \u4e2d.o".encode(),
    b"bad\xff\xfe\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xe2\x82(\xf0\x9f\x98utf8.o",
    b"</script><script>alert(1)</script>.o",
    b"",
]
ALPHABET = [bytes([b]) for b in range(256) if b != 10] + [
    "\u2028".encode(),
    "\U0001f600".encode(),
    b"\xc2\x85",
]


def random_export(rng: random.Random, n: int) -> TraceExport:
    """Steps with random names (any byte but a newline, as in a log), times, weights and groups."""
    names = [
        rng.choice(HOSTILE) if rng.random() < 0.3 else b"".join(rng.choices(ALPHABET, k=rng.randrange(0, 12)))
        for _ in range(n)
    ]
    data = b"\t" + b"\t".join(names) + b"\n"
    lo = np.cumsum([1] + [len(name) + 1 for name in names[:-1]]) if n else np.zeros(0, dtype=np.int64)
    hi = lo + np.array([len(name) for name in names], dtype=np.int64)
    start = np.sort(
        np.array([rng.randrange(0, 10 ** rng.randrange(1, 13)) for _ in range(n)], dtype=np.int64)
    )
    end = start + np.array([rng.choice((0, 1, 7, 10**9)) for _ in range(n)], dtype=np.int64)
    special = [0.0, -0.0, -1e-9, 0.0005, 0.0015, 1e-4, 2.675, 1234.5675, 1e13 + 0.5, 1e15, 3e17, 1e300, 12.0]
    weighted = [
        rng.choice(special) if rng.random() < 0.4 else rng.uniform(0, 10 ** rng.randrange(0, 16))
        for _ in range(n)
    ]
    texts = ["compile", "link", "ctrl\x1b\u202e", 'q"\\', "caf\xe9", "bad\udcff", ""]
    groups = [(rng.choice(texts), rng.choice(texts)) for _ in range(rng.randrange(1, 6))]
    return TraceExport(
        generator="test",
        build_dir="b\udcfe",
        log_path="log",
        build_index=0,
        builds_found=1,
        lanes=0,
        names=data,
        name_lo=lo.astype(np.int64),
        name_hi=hi,
        n_outputs=np.array([rng.randrange(1, 5) for _ in range(n)], dtype=np.int64),
        start_ms=start,
        end_ms=end,
        weighted_ms=np.array(weighted, dtype=np.float64),
        group=np.array([rng.randrange(len(groups)) for _ in range(n)], dtype=np.int64),
        groups=groups,
        lane=lanes_module.assign_lanes(start, end),
    )


def test_random_steps_with_hostile_names_give_the_same_valid_json(native, monkeypatch):
    rng = random.Random(11)
    for n in [0, 1, 2, *(rng.randrange(3, 300) for _ in range(40))]:
        export = random_export(rng, n)
        export.lanes = int(export.lane.max()) + 1 if n else 0
        reference, fast = both_writers(export, monkeypatch)
        assert fast == reference
        doc = json.loads(fast)
        steps = [e for e in doc["traceEvents"] if e["ph"] == "X"]
        assert [os.fsencode(e["name"]) for e in steps] == [
            export.names[lo:hi]
            for lo, hi in zip(export.name_lo.tolist(), export.name_hi.tolist(), strict=True)
        ]
        assert not any(c in fast for c in (b"\x1b", b"\x7f", b"\xff", "\u202e".encode()))


def test_chunks_of_any_bounds_give_the_same_bytes(native, monkeypatch):
    export = random_export(random.Random(5), 500)
    monkeypatch.setattr(writer, "STEPS_PER_PIECE", 7)
    reference, fast = both_writers(export, monkeypatch)
    assert fast == reference


def test_native_lanes_equal_the_python_pass(native, monkeypatch):
    rng = random.Random(3)
    for _ in range(200):
        n = rng.randrange(0, 200)
        start = np.array([rng.randrange(0, 40) for _ in range(n)], dtype=np.int64)
        end = start + np.array([rng.choice((0, 0, 1, 2, 5, 9, 30)) for _ in range(n)], dtype=np.int64)
        monkeypatch.setenv(NATIVE_ENV, "1")
        assert lanes_module.native("lowest_free_lanes") is None
        reference = lanes_module.assign_lanes(start, end)
        monkeypatch.setenv(NATIVE_ENV, "0")
        assert lanes_module.native("lowest_free_lanes") is not None
        assert lanes_module.assign_lanes(start, end).tolist() == reference.tolist()
        order = np.lexsort((end, start))
        in_order = lanes_module.assign_lanes(start[order], end[order], in_order=True)
        assert in_order.tolist() == reference[order].tolist()


@pytest.mark.parametrize("manifest", [True, False])
@pytest.mark.parametrize("capture", CAPTURES)
def test_the_export_analyses_the_build_as_report_does(captures, capture, manifest, tmp_path):
    """Kinds, targets, times and output counts per step: the export's road (no path decoded without a
    manifest) gives what analyse_build gives."""
    folder = captures / capture
    if not manifest:
        folder = tmp_path / "log-only"
        folder.mkdir()
        shutil.copy(captures / capture / ".ninja_log", folder / ".ninja_log")
    elif not (folder / "build.ninja").is_file():
        pytest.skip("this capture has no build.ninja")
    export = trace_export(str(folder))
    log = read_ninja_log(folder / ".ninja_log")
    span = split_builds(log).builds[-1]
    steps = analyse_build(log, span, read_ninja_manifest(folder) if manifest else None)
    want = sorted(
        zip(
            steps["output"],
            steps["start_ms"].tolist(),
            steps["end_ms"].tolist(),
            steps["n_outputs"].tolist(),
            steps["weighted_ms"].tolist(),
            steps["kind"],
            steps["target"],
            strict=True,
        )
    )
    got = sorted(
        (out, s, e, k, w, *export.groups[g])
        for out, s, e, k, w, g in zip(
            export.outputs(),
            export.start_ms.tolist(),
            export.end_ms.tolist(),
            export.n_outputs.tolist(),
            export.weighted_ms.tolist(),
            export.group.tolist(),
            strict=True,
        )
    )
    assert got == want and len(got) > 0


def test_big_names_and_many_steps_fill_the_buffer_exactly(native, monkeypatch):
    rng = random.Random(9)
    export = random_export(rng, 50)
    long_name = "\u202e".encode() * 5000 + b"\xff" * 5000
    export.names = export.names + long_name
    export.name_lo[-1], export.name_hi[-1] = len(export.names) - len(long_name), len(export.names)
    reference, fast = both_writers(export, monkeypatch)
    assert fast == reference  # the name grows sixfold when escaped


def test_pair_codes_group_equal_strings_as_pandas_does(native, monkeypatch):
    from buildprof.pipeline_trace import _groups

    rng = random.Random(4)
    words = ["compile", "link", "a", "b\udcff", "", "(no target)"]
    for n in (0, 1, 5, 300):
        # equal strings as distinct objects too (as decoded names are)
        kinds = np.array([rng.choice(words) for _ in range(n)], dtype=object)
        targets = np.array([(rng.choice(words) + "x")[:-1] for _ in range(n)], dtype=object)
        answers = []
        for env in ("1", "0"):
            monkeypatch.setenv(NATIVE_ENV, env)
            group, groups = _groups(kinds, targets)
            assert len(set(groups)) == len(groups)
            answers.append([groups[g] for g in group.tolist()])
        assert answers[0] == answers[1] == list(zip(kinds.tolist(), targets.tolist(), strict=True))


PATH_PARTS = [
    "CMakeFiles/",
    "cmakefiles/",
    "CMakeFiles",
    "core.dir/",
    "t_x.dir/",
    ".dir/",
    "x.dir",
    ".dir",
    "/",
    "/",
    "/",
    "lib",
    "libcore",
    "core",
    "_core",
    "a",
    "b.",
    ".o",
    ".cc.o",
    ".a",
    ".lib",
    ".so",
    ".so.1.2",
    ".dylib",
    ".exe",
    ".h",
    ".ninja",
    "build.ninja",
    "stamp",
    ".stamp",
    "é",
    "\udcff",
    "CMakeFiles/ab.dir",
    ".verylongending.o",
]


def random_paths(rng: random.Random, n: int, parts: list[str]) -> list[str]:
    return ["".join(rng.choices(parts, k=rng.randrange(1, 9))) for _ in range(n)]


def both_classifiers(paths: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple:
    from buildprof.analysis.classify_paths import classify_paths
    from buildprof.analysis.export_kinds import kinds_and_targets

    encoded = [os.fsencode(path) for path in paths]
    data = b"\n" + b"\t".join(encoded) + b"\n"
    lo = np.cumsum([1] + [len(path) + 1 for path in encoded[:-1]]).astype(np.int64)
    hi = lo + np.array([len(path) for path in encoded], dtype=np.int64)
    outputs = np.array(paths, dtype=object)
    reference = classify_paths(data, lo, hi, outputs)
    monkeypatch.setenv(NATIVE_ENV, "0")
    return [a.tolist() for a in reference], [a.tolist() for a in kinds_and_targets(data, lo, hi, outputs)]


def test_the_c_scan_classifies_as_classify_paths_does(native, monkeypatch):
    rng = random.Random(12)
    for n in (1, 2, 5, 40, 300, 2000):
        for parts in (PATH_PARTS, [part for part in PATH_PARTS if "ninja" not in part]):
            # without build.ninja's ending no path makes the C road give way to classify_paths
            reference, fast = both_classifiers(random_paths(rng, n, parts), monkeypatch)
            assert fast == reference


def test_the_c_scan_classifies_generated_logs_as_classify_paths_does(native, monkeypatch):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from gen_ninja_log import generate

    text = generate(20_000, 5, 3, 1, 16, 0)
    paths = list(dict.fromkeys(line.split("\t")[3] for line in text.splitlines()[1:] if line))
    reference, fast = both_classifiers(paths, monkeypatch)
    assert fast == reference and len(set(reference[1])) > 10


def test_the_c_scan_of_rows_of_a_log_classifies_as_classify_paths_does(native, monkeypatch):
    """kinds_and_targets(..., rows): the paths at some rows of the log's byte ranges (as build_steps
    asks for a build's steps), the same as classify_paths of those ranges gathered; thousands of
    distinct target directories and endings make the scan's hash tables grow many times."""
    from buildprof.analysis.classify_paths import classify_paths
    from buildprof.analysis.export_kinds import kinds_and_targets

    rng = random.Random(13)
    parts = [part for part in PATH_PARTS if "ninja" not in part] + [f"t{k}.dir/" for k in range(3000)]
    paths = random_paths(rng, 20_000, parts) + [f"d/CMakeFiles/t{k}.dir/x.e{k}" for k in range(5000)]
    encoded = [os.fsencode(path) for path in paths]
    data = b"\n" + b"\t".join(encoded) + b"\n"
    lo = np.cumsum([1] + [len(path) + 1 for path in encoded[:-1]]).astype(np.int64)
    hi = lo + np.array([len(path) for path in encoded], dtype=np.int64)
    rows = np.array(sorted(rng.sample(range(len(paths)), 15_000)), dtype=np.int64)
    outputs = np.array(paths, dtype=object)[rows]
    reference = [a.tolist() for a in classify_paths(data, lo[rows], hi[rows], outputs)]
    monkeypatch.setenv(NATIVE_ENV, "0")
    fast = [a.tolist() for a in kinds_and_targets(data, lo, hi, outputs, None, rows)]
    assert fast == reference and len(set(reference[1])) > 2000
    monkeypatch.setenv(NATIVE_ENV, "1")
    assert [a.tolist() for a in kinds_and_targets(data, lo, hi, outputs, None, rows)] == reference
