"""`record`, `history` and `trend` through the command line, on real builds: the six clean abseil builds
of ../shared/data/abseil-history (numbers checked against their raw logs) and the bundled captures."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from test_history_store import url  # noqa: F401  (the fixture: a fresh store per backend)
from trace_helpers import FIXTURES, SHARED_DATA

HISTORY = SHARED_DATA / "abseil-history"
needs_history = pytest.mark.skipif(not HISTORY.is_dir(), reason=f"shared data not found at {HISTORY}")
LABEL = "clang19-relwithdebinfo"


def raw_log_numbers(log: Path) -> dict[str, float]:
    """Wall time, summed step time and steps of a one-build .ninja_log, read here without buildprof
    (a multi-output edge logs one line per output with the same start, end and command hash)."""
    steps = set()
    for line in log.read_text().splitlines()[1:]:
        start, end, _, _, digest = line.split("\t")
        steps.add((int(start), int(end), digest))
    return {
        "wall_ms": max(e for _, e, _ in steps) - min(s for s, _, _ in steps),
        "cpu_ms": sum(e - s for s, e, _ in steps),
        "steps": len(steps),
    }


@pytest.fixture(scope="module")
def abseil_builds(tmp_path_factory) -> list[tuple[dict, Path]]:
    """The six builds unpacked as build folders (oldest first), with their commit.json."""
    if not HISTORY.is_dir():
        pytest.skip(f"shared data not found at {HISTORY}")
    if shutil.which("zstd") is None:
        pytest.skip("zstd is needed to unpack the shared traces")
    root = tmp_path_factory.mktemp("abseil-history")
    found = []
    for source in sorted(HISTORY.iterdir()):
        folder = root / source.name
        folder.mkdir()
        shutil.copyfile(source / "ninja_log", folder / ".ninja_log")
        unpack = subprocess.run(
            f"zstd -dc '{source / 'traces.tar.zst'}' | tar -xf - -C '{folder}'", shell=True, check=False
        )
        assert unpack.returncode == 0
        found.append((json.loads((source / "commit.json").read_text()), folder))
    return found


def record(run_cli, folder: Path, db: str, commit: dict, *extra: str):
    return run_cli(
        "record",
        str(folder),
        "--db",
        db,
        "--label",
        LABEL,
        "--branch",
        "master",
        "--commit",
        commit["commit"],
        "--commit-time",
        commit["commit_date"],
        *extra,
    )


@needs_history
def test_six_real_builds_recorded_listed_and_drawn(abseil_builds, url, run_cli, tmp_path):  # noqa: F811
    recorded = []
    for commit, folder in abseil_builds:
        result = record(run_cli, folder, url, commit, "--format", "json")
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        totals = doc["build"]["costs"]["totals"]
        raw = raw_log_numbers(folder / ".ninja_log")
        assert (totals["wall_ms"], totals["cpu_ms"], totals["steps"]) == (
            raw["wall_ms"],
            raw["cpu_ms"],
            raw["steps"],
        )
        assert doc["build"]["commit"]["sha"] == commit["commit"] and doc["build"]["id"] >= 1
        recorded.append((doc["build"]["id"], commit, raw))

    listing = run_cli("history", "--db", url, "--format", "json")
    assert listing.exit_code == 0, listing.output
    rows = json.loads(listing.stdout)["builds"]
    assert [r["commit"] for r in rows] == [c["commit"] for _, c, _ in reversed(recorded)]  # newest first
    assert [r["cpu_ms"] for r in rows] == [raw["cpu_ms"] for _, _, raw in reversed(recorded)]
    assert {r["tus"] for r in rows} <= {154, 156, 157, 158, 159}

    trend = run_cli("trend", "--db", url, "--label", LABEL, "--target", "strings", "--format", "json")
    assert trend.exit_code == 0, trend.output
    series = {s["metric"]: s for s in json.loads(trend.stdout)["series"]}
    assert [p["value"] for p in series["cpu"]["points"]] == [raw["cpu_ms"] for _, _, raw in recorded]
    assert [p["commit"] for p in series["wall"]["points"]] == [c["commit"] for _, c, _ in recorded]
    assert series["cpu"]["noise"] is not None and all(p["value"] for p in series["target:strings"]["points"])

    first, last = recorded[0], recorded[-1]
    compared = run_cli("compare", first[1]["commit"][:8], f"#{last[0]}", "--db", url, "--format", "json")
    assert compared.exit_code == 0, compared.output
    totals = {t["metric"]: t for t in json.loads(compared.stdout)["comparison"]["totals"]}
    for metric in ("wall", "cpu"):
        assert (totals[metric]["base"], totals[metric]["head"]) == (
            first[2][f"{metric}_ms"],
            last[2][f"{metric}_ms"],
        )
        assert totals[metric]["delta"] == last[2][f"{metric}_ms"] - first[2][f"{metric}_ms"]

    chart = tmp_path / "trend.png"
    drawn = run_cli("trend", "--db", url, "--label", LABEL, "-o", str(chart))
    assert drawn.exit_code == 0, drawn.output
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_history
def test_recording_the_same_build_twice_is_refused_unless_replaced(abseil_builds, run_cli, tmp_path):
    commit, folder = abseil_builds[0]
    db = str(tmp_path / "h.sqlite")
    assert record(run_cli, folder, db, commit).exit_code == 0
    again = record(run_cli, folder, db, commit)
    assert again.exit_code == 2 and again.stderr.count("\n") == 1 and again.stderr.startswith("Error:")
    replaced = record(run_cli, folder, db, commit, "--replace", "--format", "json")
    assert replaced.exit_code == 0 and json.loads(replaced.stdout)["replaced"] is True
    assert len(json.loads(run_cli("history", "--db", db, "--format", "json").stdout)["builds"]) == 1


def test_bundled_captures_record_without_git_and_without_shared_data(capture_copy, run_cli, tmp_path):
    db = str(tmp_path / "h.sqlite")
    first = run_cli("record", str(capture_copy("clang19-ninja1.13")), "--db", db, "--format", "json")
    assert first.exit_code == 0, first.output
    build = json.loads(first.stdout)["build"]
    assert build["commit"]["sha"] is None and build["commit"]["source"] == "none" and build["commit"]["note"]
    facts = json.loads((FIXTURES / "captures" / "clang19-ninja1.13" / "capture.json").read_text())["builds"][
        0
    ]
    assert build["costs"]["totals"]["cpu_ms"] == facts["sum_step_ms"]
    second = run_cli("record", str(capture_copy("clang19-ninja1.11")), "--db", db, "--commit", "abc1234")
    assert second.exit_code == 0, second.output  # a build without a commit is never a duplicate
    text = run_cli("history", "--db", db)
    assert text.exit_code == 0 and "abc1234" in text.stdout and "Recorded builds (2)" in text.stdout


def test_history_commands_say_what_is_wrong_in_one_line(run_cli, tmp_path):
    empty = run_cli("trend", "--db", str(tmp_path / "none.sqlite"))
    assert empty.exit_code == 2 and empty.stderr.startswith("Error:") and empty.stderr.count("\n") == 1
    bad_time = run_cli("record", str(tmp_path), "--commit-time", "yesterday")
    assert bad_time.exit_code == 2 and "yesterday" in bad_time.stderr
    binary = run_cli("trend", "--db", str(tmp_path / "none.sqlite"), "--format", "png")
    assert binary.exit_code == 2
