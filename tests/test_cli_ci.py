"""`buildprof ci` and `buildprof compare` on real series of builds: the captured series of the sample
project (fixtures/series: noise, loaded machines, two real regressions and their fixes) and the six
abseil builds; the baseline found through git (nearest recorded ancestor, merge-base of a branch)."""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest
from trace_helpers import FIXTURES

SERIES = FIXTURES / "series" / "run1"
SUMMARY_LIMIT = 65_000


def unpack(name: str, dest: Path) -> Path:
    folder = dest / name
    folder.mkdir()
    with tarfile.open(SERIES / f"{name}.tar.xz") as archive:
        archive.extractall(folder)  # our own archives (fixtures/series)
    return folder


@pytest.fixture(scope="module")
def series(tmp_path_factory) -> tuple[list[dict], Path]:
    root = tmp_path_factory.mktemp("series")
    builds = json.loads((SERIES / "series.json").read_text())["builds"]
    for build in builds:
        build["folder"] = unpack(build["archive"].removesuffix(".tar.xz"), root)
    return builds, root


def run_ci(run_cli, folder: Path, out: Path, db: Path, *extra: str):
    return run_cli("ci", str(folder), "--out", str(out), "--db", str(db), "--label", "sample", *extra)


def test_the_real_series_fails_at_each_regression_blaming_its_header(series, run_cli, tmp_path, monkeypatch):
    builds, _ = series
    db = tmp_path / "history.sqlite"
    step_summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    previous: dict | None = None
    for build in builds:
        out = tmp_path / f"out-{build['index']}"
        when = f"2026-01-01T00:{build['index']:02d}:00+00:00"
        result = run_ci(run_cli, build["folder"], out, db, "--commit", build["commit"], "--commit-time", when)
        rerun = previous is not None and previous["commit"] == build["commit"]
        expected = (previous["outcome"] if rerun else build["expected"]) or "passed"  # a re-run: same verdict
        assert result.exit_code == (1 if expected == "regressed" else 0), (build["name"], result.output)
        report = json.loads((out / "report.json").read_text())
        assert report["status"] in (expected, "no-baseline")
        if expected == "regressed":
            blame = build["blame"] or previous["blame"]
            assert report["verdict"]["attribution"]["headers"][0]["name"] == blame
            assert "REGRESSED" in (out / "summary.md").read_text()
        summary = (out / "summary.md").read_text()
        assert len(summary) < SUMMARY_LIMIT and summary.startswith("# buildprof ci")
        assert (out / "trend.png").read_bytes()[:4] == b"\x89PNG" and b"<svg" in (
            out / "trend.svg"
        ).read_bytes()
        page = (out / "report.html").read_text()  # the build's own HTML report, self-contained
        assert page.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in page
        assert "report.html" in report["artifacts"]
        build["outcome"] = expected
        previous = build
    assert step_summary.read_text().count("# buildprof ci") == len(builds)  # appended, never overwritten


def test_the_abseil_history_passes_build_by_build(shared_data, run_cli, tmp_path):
    import shutil

    history = shared_data / "abseil-history"
    if shutil.which("zstd") is None:
        pytest.skip("zstd is needed to unpack the shared traces")
    db = tmp_path / "h.sqlite"
    for index, source in enumerate(sorted(history.iterdir())):
        commit = json.loads((source / "commit.json").read_text())
        folder = tmp_path / source.name
        folder.mkdir()
        (folder / ".ninja_log").write_bytes((source / "ninja_log").read_bytes())
        subprocess.run(
            f"zstd -dc '{source}/traces.tar.zst' | tar -xf - -C '{folder}'", shell=True, check=True
        )
        extra = ("--commit", commit["commit"], "--commit-time", commit["commit_date"], "--branch", "master")
        result = run_ci(run_cli, folder, tmp_path / f"out{index}", db, *extra)
        assert result.exit_code == 0, result.output
        report = json.loads((tmp_path / f"out{index}" / "report.json").read_text())
        assert report["status"] == ("no-baseline" if index == 0 else "passed")
        if index:
            assert (
                report["baseline"]["rule"]
                == "the latest earlier recorded build of branch master by commit time"
            )
            assert report["noise_builds"] == index


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@e"
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True
    ).stdout.strip()


def test_the_baseline_is_the_nearest_recorded_ancestor_or_the_merge_base(series, run_cli, tmp_path):
    builds, _ = series
    repo = tmp_path / "src"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    shas = []
    for message in ("base", "unrecorded", "head"):
        _git(repo, "commit", "-q", "--allow-empty", "-m", message)
        shas.append(_git(repo, "rev-parse", "HEAD"))
    db = tmp_path / "h.sqlite"
    base, head = builds[0]["folder"], builds[5]["folder"]  # the sample project, then its include regression
    assert run_ci(run_cli, base, tmp_path / "o1", db, "--repo", str(repo), "--commit", shas[0]).exit_code == 0
    result = run_ci(run_cli, head, tmp_path / "o2", db, "--repo", str(repo))
    report = json.loads((tmp_path / "o2" / "report.json").read_text())
    assert report["build"]["commit"] == shas[2] and report["build"]["branch"] == "main"
    assert report["baseline"]["rule"] == f"the nearest recorded ancestor, {shas[0][:10]} (2 back)"
    assert result.exit_code == 1 and report["status"] == "regressed"

    _git(repo, "checkout", "-q", "-b", "feature", shas[1])
    _git(repo, "commit", "-q", "--allow-empty", "-m", "on the branch")
    result = run_ci(
        run_cli, builds[2]["folder"], tmp_path / "o3", db, "--repo", str(repo), "--base-branch", "main"
    )
    report = json.loads((tmp_path / "o3" / "report.json").read_text())
    assert (
        report["baseline"]["rule"]
        == f"the nearest recorded ancestor of the merge-base with main, {shas[0][:10]} (1 back)"
    )
    assert result.exit_code == 0 and report["status"] == "passed"


def test_compare_two_folders_and_two_recorded_builds(series, run_cli, tmp_path):
    builds, _ = series
    base, head = builds[4], builds[5]
    folders = run_cli("compare", str(base["folder"]), str(head["folder"]), "--format", "json")
    assert folders.exit_code == 0, folders.output
    totals = {t["metric"]: t for t in json.loads(folders.stdout)["comparison"]["totals"]}
    assert (totals["cpu"]["base"], totals["cpu"]["head"]) == (base["cpu_ms"], head["cpu_ms"])
    assert totals["cpu"]["delta"] == head["cpu_ms"] - base["cpu_ms"]
    db = tmp_path / "h.sqlite"
    for build in (base, head):
        assert (
            run_cli("record", str(build["folder"]), "--db", str(db), "--commit", build["commit"]).exit_code
            == 0
        )
    recorded = run_cli(
        "compare", base["commit"][:8], f"{head['commit'][:8]}@default", "--db", str(db), "--format", "json"
    )
    assert recorded.exit_code == 0, recorded.output
    again = {t["metric"]: t for t in json.loads(recorded.stdout)["comparison"]["totals"]}
    assert again["cpu"] == totals["cpu"]
    text = run_cli("compare", "@default", str(base["folder"]), "--db", str(db))
    assert text.exit_code == 0 and "Headers (inclusive parse time)" in text.stdout
    missing = run_cli("compare", "deadbeef", str(base["folder"]), "--db", str(db))
    assert missing.exit_code == 2 and missing.stderr.startswith("Error:")


def test_a_bad_budget_is_an_error_before_anything_is_recorded(series, run_cli, tmp_path):
    builds, _ = series
    db = tmp_path / "h.sqlite"
    result = run_ci(run_cli, builds[0]["folder"], tmp_path / "out", db, "--fail-on", "cpu:ten%")
    assert result.exit_code == 2 and "ten" in result.stderr and result.stderr.count("\n") == 1
    assert (
        not db.exists()
        or json.loads(run_cli("history", "--db", str(db), "--format", "json").stdout)["total"] == 0
    )


def test_the_summary_is_cut_at_a_line_to_fit_a_comment():
    from buildprof.cli.change_commands import SUMMARY_LIMIT as limit
    from buildprof.cli.change_commands import capped_summary

    long = "".join(f"| row {i} | {'x' * 90} |\n" for i in range(2000))
    cut = capped_summary(long)
    assert len(cut) < limit and cut.endswith("report.json)*\n") and "| row 0 |" in cut
    assert capped_summary("short\n") == "short\n"
