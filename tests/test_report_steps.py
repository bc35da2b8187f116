"""A build's steps as numpy columns (analysis.build_steps) and the report's tables computed from them
(analysis.step_tables, analysis.ninja_report.build_document): the same steps, rows and sums as the
pandas code the report used before (DataFrame.nlargest, groupby), with the C module
(analysis._tables_native) and without it (BUILDPROF_NO_NATIVE=1: pandas, the reference)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import msgspec
import numpy as np
import pandas as pd
import pytest

from buildprof.analysis import step_tables
from buildprof.analysis.build_steps import build_steps
from buildprof.analysis.builds import split_builds
from buildprof.analysis.classify import classify_steps
from buildprof.analysis.classify_paths import classify_paths
from buildprof.analysis.ninja_report import build_document
from buildprof.analysis.steps import steps_of_log
from buildprof.ninja.log import parse_ninja_log, read_ninja_log
from buildprof.ninja.manifest import read_ninja_manifest

CAPTURES = (
    "clang19-ninja1.11",
    "clang19-ninja1.13",
    "clang14-ninja1.13",
    "clang19-one-tu",
    "clang19-headers",
)
NATIVE_ENV = "BUILDPROF_NO_NATIVE"


def generated_log(lines: int, version: int, seed: int, builds: int, jobs: int = 16):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from gen_ninja_log import generate

    return parse_ninja_log(generate(lines, version, seed, builds, jobs, 0).encode())


def old_frame(log, span, manifest) -> pd.DataFrame:
    """The classified steps as analyse_build made them before BuildSteps."""
    steps, rows, outputs = steps_of_log(log.columns, log.paths, span)
    if manifest is not None:
        return classify_steps(steps, manifest)
    paths = log.paths
    steps["kind"], steps["target"] = classify_paths(
        paths.data, paths.lo[rows], paths.hi[rows], outputs, paths.factorize
    )
    return steps


def first_largest(frame: pd.DataFrame, column: str, top: int) -> pd.DataFrame:
    """`frame.nlargest(top, column, keep="first")` as pandas documents it (largest first, ties in row
    order), written out: pandas 2.0's nlargest sorts unstably when `top` reaches the frame's length."""
    values = frame[column].to_numpy()
    return frame.iloc[np.lexsort((np.arange(len(values)), -values))[: max(top, 0)]]


def old_tables(steps: pd.DataFrame, weighted_total: float, top: int) -> dict:
    """The report's tables as the pandas code computed them (ninja_report before BuildSteps)."""

    def rows(chosen: pd.DataFrame) -> list:
        return [
            (str(r.output), int(r.n_outputs), int(r.start_ms), int(r.end_ms), int(r.duration_ms),
             round(float(r.weighted_ms), 3), str(r.kind), str(r.target), int(r.line))
            for r in chosen.itertuples()
        ]  # fmt: skip

    def groups(by: str, limit: int | None = None) -> list:
        grouped = steps.groupby(by, sort=False).agg(
            steps=("step", "size"),
            duration_ms=("duration_ms", "sum"),
            weighted_ms=("weighted_ms", "sum"),
            max_ms=("duration_ms", "max"),
        )
        grouped = grouped.sort_values(["weighted_ms", "duration_ms"], ascending=False, kind="stable")
        return [
            (str(name), int(g.steps), int(g.duration_ms), round(float(g.weighted_ms), 3),
             round(float(g.weighted_ms) / weighted_total, 4) if weighted_total else 0.0, int(g.max_ms))
            for name, g in grouped.iloc[:limit].iterrows()
        ]  # fmt: skip

    return {
        "slowest_steps": rows(first_largest(steps, "duration_ms", top)),
        "slowest_weighted": rows(first_largest(steps, "weighted_ms", top)),
        "by_kind": groups("kind"),
        "by_target": groups("target", top),
        "targets_total": int(steps["target"].nunique()),
    }


def new_tables(build) -> dict:
    def rows(found: list) -> list:
        return [
            (
                r.output,
                r.n_outputs,
                r.start_ms,
                r.end_ms,
                r.duration_ms,
                r.weighted_ms,
                r.kind,
                r.target,
                r.line,
            )
            for r in found
        ]

    def groups(found: list) -> list:
        return [(g.name, g.steps, g.duration_ms, g.weighted_ms, g.weighted_share, g.max_ms) for g in found]

    return {
        "slowest_steps": rows(build.slowest_steps),
        "slowest_weighted": rows(build.slowest_weighted),
        "by_kind": groups(build.by_kind),
        "by_target": groups(build.by_target),
        "targets_total": build.targets_total,
    }


def logs(captures: Path):
    """(name, log, manifest) of the captures (with and without their manifest) and generated logs."""
    for capture in CAPTURES:
        folder = captures / capture
        log = read_ninja_log(folder / ".ninja_log")
        yield capture, log, None
        if (folder / "build.ninja").is_file():
            yield capture + "+manifest", log, read_ninja_manifest(folder)
    yield "v5", generated_log(30_000, 5, 1, 4), None
    yield "v7 one build", generated_log(20_000, 7, 2, 1, jobs=64), None


@pytest.mark.parametrize("native", ["0", "1"])
def test_steps_and_tables_are_those_of_the_pandas_code(captures, native, monkeypatch):
    monkeypatch.setenv(NATIVE_ENV, native)
    for name, log, manifest in logs(captures):
        for span in split_builds(log).builds:
            steps = build_steps(log, span, manifest)
            want = old_frame(log, span, manifest)
            pd.testing.assert_frame_equal(steps.frame(), want, obj=name)
            for top in (1, 3, 10, 1000):
                build = build_document(span, steps, top)
                assert new_tables(build) == old_tables(want, build.summary.weighted_ms, top), name


def test_the_c_module_and_pandas_give_the_same_document(captures, monkeypatch):
    if step_tables._tables_native is None:
        pytest.skip("analysis._tables_native is not built here: only pandas sums")
    for name, log, manifest in logs(captures):
        span = split_builds(log).builds[-1]
        documents = []
        for native in ("1", "0"):
            monkeypatch.setenv(NATIVE_ENV, native)
            documents.append(msgspec.json.encode(build_document(span, build_steps(log, span, manifest), 10)))
        assert documents[0] == documents[1], name


def test_a_compiler_here_means_the_tables_module_is_built():
    """CI must not quietly test only pandas' sums: with a C compiler, the module must exist."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler here: buildprof installs without its C modules")
    assert step_tables._tables_native is not None, f"{compiler} exists but _tables_native is not importable"


def test_largest_takes_the_rows_nlargest_takes():
    rng = np.random.default_rng(5)
    for n in (1, 2, 7, 50, 3000):
        for values in (rng.integers(0, 6, n), rng.integers(-(10**12), 10**12, n), rng.random(n).round(1)):
            frame = pd.DataFrame({"v": values})
            for top in (0, 1, 3, n - 1, n, n + 4):
                want = first_largest(frame, "v", top).index.to_numpy()
                assert step_tables.largest(values, top).tolist() == want.tolist()
                if top < n:  # where every pandas release sorts ties in row order
                    assert want.tolist() == frame.nlargest(top, "v", keep="first").index.tolist()


def test_group_sums_are_pandas_sums_to_the_last_bit(monkeypatch):
    if step_tables._tables_native is None:
        pytest.skip("analysis._tables_native is not built here: only pandas sums")
    rng = np.random.default_rng(8)
    for n, groups in ((1, 1), (10, 3), (20_000, 5), (50_000, 4000)):
        codes = rng.integers(0, groups, n)
        codes[:groups] = np.arange(min(groups, n))  # every group present
        duration = rng.integers(0, 10**9, n)
        weighted = rng.random(n) * 10.0 ** rng.integers(-3, 9, n)  # sums that lose bits without Kahan
        sums = []
        for native in ("1", "0"):
            monkeypatch.setenv(NATIVE_ENV, native)
            sums.append(step_tables.group_sums(codes, groups, duration, weighted))
        for reference, fast in zip(*sums, strict=True):
            assert reference.tobytes() == fast.tobytes()


def test_value_codes_are_those_of_pandas_factorize(monkeypatch):
    rng = np.random.default_rng(3)
    words = ["compile", "link", "", "(no target)", "b\udcff"]
    for n in (0, 1, 9, 500):
        # equal strings as distinct objects too
        values = np.array([(str(rng.choice(words)) + "x")[:-1] for _ in range(n)], dtype=object)
        answers = []
        for native in ("1", "0"):
            monkeypatch.setenv(NATIVE_ENV, native)
            codes, names = step_tables.value_codes(values)
            answers.append((codes.tolist(), names.tolist()))
        want = pd.factorize(values)
        assert answers[0] == answers[1] == (want[0].tolist(), list(want[1]))


def test_kind_and_target_codes_are_those_of_pandas_factorize(monkeypatch):
    rng = np.random.default_rng(4)
    for n, n_targets in ((0, 40), (1, 40), (9, 40), (2000, 40), (20_000, 5000)):  # the last: the table grows
        kinds = np.array([str(rng.choice(["compile", "link", "other"])) for _ in range(n)], dtype=object)
        targets = np.array([(f"t{rng.integers(0, n_targets)}" + "x")[:-1] for _ in range(n)], dtype=object)
        for native in ("1", "0"):
            monkeypatch.setenv(NATIVE_ENV, native)
            found = step_tables.kind_target_codes(kinds, targets)
            for name, values in (("kind", kinds), ("target", targets)):
                codes, uniques = pd.factorize(values)
                assert found[name][0].tolist() == codes.tolist()
                assert found[name][1].tolist() == list(uniques)


@pytest.mark.parametrize("native", ["0", "1"])
def test_steps_held_as_codes_read_as_the_object_columns(native, monkeypatch):
    """build_steps(coded=True), as the report asks: kinds and targets held as codes, durations and
    output counts computed or narrowed; every column, row subset and the frame read the same."""
    monkeypatch.setenv("BUILDPROF_NO_NATIVE", native)
    log = generated_log(6000, 5, 8, 2)
    for span in split_builds(log).builds:
        plain, coded = build_steps(log, span, None), build_steps(log, span, None, coded=True)
        rows = np.array([0, len(plain) - 1, len(plain) // 2, 3], dtype=np.int64)
        for name in ("kind", "target", "duration_ms", "n_outputs", "start_ms", "line", "cmdhash"):
            assert coded[name].tolist() == plain[name].tolist() and coded[name].dtype == plain[name].dtype
            assert coded.at(name, rows).tolist() == plain.at(name, rows).tolist()
        for name in ("kind", "target"):
            assert [a.tolist() for a in coded.codes(name)] == [a.tolist() for a in plain.codes(name)]
        pd.testing.assert_frame_equal(coded.frame(), plain.frame())


def test_the_weighted_times_read_the_times_narrowed_or_not():
    """build_steps._times_at: int32 times when the log's fit (else the int64 ones), the same values;
    the log's line numbers are held as int32 and given as int64."""
    from buildprof.analysis.build_steps import _times_at

    log = generated_log(3000, 6, 9, 2)
    rows = np.arange(0, len(log), 3)
    start, end = _times_at(log.columns, rows)
    assert start.dtype == end.dtype == np.int32 and log.columns["line"].dtype == np.int32
    assert start.tolist() == log.columns["start_ms"][rows].tolist() and log.entries["line"].dtype == np.int64
    wide = {"start_ms": log.columns["start_ms"] + 2**31, "end_ms": log.columns["end_ms"] + 2**31}
    start, end = _times_at(wide, rows)
    assert start.dtype == np.int64 and end.tolist() == wide["end_ms"][rows].tolist()
