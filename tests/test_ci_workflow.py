"""The GitHub Actions workflow of docs/ci.md, run as the runner runs it: its shell steps verbatim under
`bash --noprofile --norc -eo pipefail`, with the runner's variables, in a shallow clone at a detached
HEAD, the step summary file, `if: always()` after a failed step. What a test cannot do is stood in
for: the `Build` step copies a real captured build (fixtures/series), `Install buildprof` puts the
buildprof under test on the PATH, the cache actions copy the history folder, the upload checks it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml", reason="PyYAML (test extra) reads the workflow")

REPO = Path(__file__).resolve().parents[1]
SERIES = REPO / "fixtures" / "series" / "run1"
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def workflow() -> dict:
    """The YAML block after `<!-- github-workflow -->` in docs/ci.md."""
    text = (REPO / "docs" / "ci.md").read_text()
    block = text.split("<!-- github-workflow -->", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    return yaml.safe_load(block)


def _git(repo: Path, *args: str, when: str = "2026-03-01T10:00:00+00:00") -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "ci", "GIT_AUTHOR_EMAIL": "ci@example.com"}
    env |= {"GIT_COMMITTER_NAME": "ci", "GIT_COMMITTER_EMAIL": "ci@example.com", "GIT_COMMITTER_DATE": when}
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout.strip()


def _expand(text: str, context: dict[str, str]) -> str:
    """`${{ github.x }}` expressions, as the runner expands them (only those the workflow uses)."""

    def one(match: re.Match) -> str:
        key = match.group(1).strip()
        assert key in context, f"the test does not know the expression {key}"
        return context[key]

    return re.sub(r"\$\{\{(.*?)\}\}", one, str(text))


class Runner:
    """Runs the workflow's job in `workspace`, as GitHub's runner would."""

    def __init__(self, tmp: Path, workspace: Path, cache: Path, variables: dict[str, str]) -> None:
        self.workspace, self.cache = workspace, cache
        self.summary = tmp / f"step_summary_{variables['GITHUB_RUN_ID']}"
        self.summary.touch()
        bin_dir = tmp / "bin"
        bin_dir.mkdir(exist_ok=True)
        shim = bin_dir / "buildprof"
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m buildprof "$@"\n')
        shim.chmod(0o755)
        self.context = {"github.workspace": str(workspace), "github.run_id": variables["GITHUB_RUN_ID"]}
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("BUILDPROF_", "GITHUB_"))},
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "RUNNER_TEMP": str(tmp),
            **variables,
        }

    def run(self, job: dict, build: Path) -> list[tuple[str, int]]:
        """Each step's name and exit code, in order (steps skipped after a failure are left out)."""
        env = {**self.env, **{k: _expand(v, self.context) for k, v in job.get("env", {}).items()}}
        ran, failed = [], False
        for step in job["steps"]:
            if failed and "always()" not in str(step.get("if", "")):
                continue
            name = step.get("name") or step.get("uses")
            code = self._step(step, env, build)
            ran.append((name, code))
            failed = failed or code != 0
        return ran

    def _step(self, step: dict, env: dict[str, str], build: Path) -> int:
        uses, name = step.get("uses", ""), step.get("name", "")
        with_ = {k: _expand(v, self.context) for k, v in step.get("with", {}).items()}
        if uses.startswith("actions/checkout"):
            return 0  # the workspace is already the shallow clone, at a detached HEAD
        if uses.startswith("actions/cache/restore"):
            if self.cache.exists():
                shutil.copytree(self.cache, self.workspace / with_["path"], dirs_exist_ok=True)
            return 0
        if uses.startswith("actions/cache/save"):
            shutil.rmtree(self.cache, ignore_errors=True)
            shutil.copytree(self.workspace / with_["path"], self.cache)
            return 0
        if uses.startswith("actions/upload-artifact"):
            return 0 if (self.workspace / with_["path"]).is_dir() else 1
        if name == "Install buildprof":
            return 0  # the shim on the PATH runs the buildprof under test
        if name == "Build":
            shutil.copytree(build, self.workspace / "build")
            return 0
        script = _expand(step["run"], self.context)
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        self.output = done.stdout + done.stderr
        return done.returncode


def test_the_documented_workflow_records_judges_and_reports(tmp_path):
    job = workflow()["jobs"]["build"]
    assert [s.get("if") for s in job["steps"] if "cache/save" in s.get("uses", "")] == ["always()"]
    builds = {}
    for name in ("00-base", "05-regression-include"):
        builds[name] = tmp_path / name
        with tarfile.open(SERIES / f"{name}.tar.xz") as archive:
            archive.extractall(builds[name])  # our own archive

    origin = tmp_path / "origin"
    origin.mkdir()
    _git(origin, "init", "-q", "-b", "main")
    _git(origin, "commit", "-q", "--allow-empty", "-m", "main: the base")
    base_sha = _git(origin, "rev-parse", "HEAD")
    _git(origin, "checkout", "-q", "-b", "feature")
    _git(
        origin,
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "feature: heavier common.h",
        when="2026-03-02T10:00:00+00:00",
    )
    head_sha = _git(origin, "rev-parse", "HEAD")
    cache = tmp_path / "actions-cache"

    def checkout(sha: str, branch: str, run_id: str) -> Path:
        workspace = tmp_path / f"workspace-{run_id}"
        subprocess.run(
            ["git", "clone", "-q", "--depth", "1", "--branch", branch, f"file://{origin}", str(workspace)],
            check=True,
        )
        _git(workspace, "checkout", "-q", "--detach", sha)
        return workspace

    # A push to main: the first build of the history, nothing to compare with.
    push = {
        "GITHUB_RUN_ID": "101",
        "GITHUB_SHA": base_sha,
        "GITHUB_REF_NAME": "main",
        "GITHUB_EVENT_NAME": "push",
    }
    workspace = checkout(base_sha, "main", "101")
    runner = Runner(tmp_path, workspace, cache, push)
    steps = runner.run(job, builds["00-base"])
    assert dict(steps)["Build cost"] == 0, runner.output
    assert "PASSED (no baseline yet)" in runner.summary.read_text()

    # The pull request: a shallow clone at a detached HEAD, the head branch only in GITHUB_HEAD_REF.
    pull = {
        "GITHUB_RUN_ID": "102",
        "GITHUB_SHA": head_sha,
        "GITHUB_REF_NAME": "7/merge",
        "GITHUB_HEAD_REF": "feature",
        "GITHUB_BASE_REF": "main",
        "GITHUB_EVENT_NAME": "pull_request",
    }
    workspace = checkout(head_sha, "feature", "102")
    runner = Runner(tmp_path, workspace, cache, pull)
    steps = runner.run(job, builds["05-regression-include"])
    assert dict(steps)["Build cost"] == 1, runner.output  # the regression
    assert [name for name, _ in steps][-2:] == ["Save the build history", "Upload the build-cost report"]
    assert all(code == 0 for name, code in steps if name != "Build cost")
    out = workspace / "buildprof-out"
    assert {p.name for p in out.iterdir()} >= {"summary.md", "report.json", "trend.png", "trend.svg"}
    summary = runner.summary.read_text()
    assert "REGRESSED" in summary and "sample/common.h" in summary
    assert summary == (out / "summary.md").read_text() + "\n"

    import json

    report = json.loads((out / "report.json").read_text())
    assert report["build"]["commit"] == head_sha and report["build"]["branch"] == "feature"
    assert report["baseline"]["build"]["commit"] == base_sha
    assert report["baseline"]["rule"] == "the latest earlier recorded build of branch main by commit time"
    assert (cache / "history.sqlite").is_file()  # saved for the next run
