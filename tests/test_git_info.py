"""Commit information: what git says about a real checkout, what options and CI variables say first,
and never an exception (no git, not a checkout, a shallow clone, a detached HEAD)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from buildprof.git import CI_BRANCH_VARIABLES, CommitOverrides, commit_info, normalized_time, source_dir_of

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_COMMITTER_DATE": "2026-08-22T01:42:51-07:00",
        "GIT_AUTHOR_DATE": "2026-08-22T01:42:51-07:00",
    }
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, env=env, check=True)
    return done.stdout.decode().strip()


@pytest.fixture()
def repo(tmp_path, monkeypatch):
    for name in CI_BRANCH_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "src"
    path.mkdir()
    _git(path, "init", "-q", "-b", "main")
    (path / "a.h").write_text("int a;\n")
    _git(path, "add", "a.h")
    _git(path, "commit", "-q", "-m", "first")
    (path / "a.h").write_text("int a, b;\n")
    _git(path, "commit", "-q", "-am", "second: b")
    return path


def test_a_checkout_gives_its_commit_branch_parents_and_time(repo):
    info = commit_info(repo)
    assert info.sha == _git(repo, "rev-parse", "HEAD") and len(info.sha) == 40
    assert info.parents == (_git(repo, "rev-parse", "HEAD~1"),)
    assert info.branch == "main"
    assert info.commit_time == "2026-08-22T01:42:51-07:00"
    assert info.subject == "second: b"
    assert info.dirty is False and info.shallow is False
    assert info.source == "git" and info.note is None
    (repo / "a.h").write_text("changed\n")
    assert commit_info(repo / "a.h").dirty is True  # a file inside the checkout works as well


def test_a_detached_head_takes_the_branch_from_the_ci_variables(repo, monkeypatch):
    _git(repo, "checkout", "-q", "--detach", "HEAD~1")
    assert commit_info(repo).branch is None
    monkeypatch.setenv("GITHUB_HEAD_REF", "feature/x")
    info = commit_info(repo)
    assert info.branch == "feature/x" and info.note == "branch from GITHUB_HEAD_REF"
    assert info.subject == "first"


def test_a_shallow_clone_says_so(repo, tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)], check=True)
    info = commit_info(clone)
    assert info.shallow is True and info.sha == _git(repo, "rev-parse", "HEAD")
    assert info.parents == ()  # the parent is cut off


def test_options_and_environment_come_first(repo, monkeypatch):
    short = _git(repo, "rev-parse", "--short", "HEAD~1")
    info = commit_info(repo, CommitOverrides(commit=short))
    assert info.sha == _git(repo, "rev-parse", "HEAD~1") and info.subject == "first"
    assert info.source == "git+given" and info.dirty is None  # not the working tree's commit
    monkeypatch.setenv("BUILDPROF_COMMIT", "0123abc")
    monkeypatch.setenv("BUILDPROF_BRANCH", "release")
    monkeypatch.setenv("BUILDPROF_COMMIT_TIME", "2026-01-02T03:04:05Z")
    info = commit_info(repo, CommitOverrides.from_environment())
    assert (info.sha, info.branch, info.commit_time) == ("0123abc", "release", "2026-01-02T03:04:05+00:00")
    assert info.subject is None and info.note is not None  # git does not know that commit: said
    assert CommitOverrides.from_environment(commit="fff").commit == "fff"  # an option beats the variable


def test_no_checkout_and_no_git_are_notes_not_errors(tmp_path, monkeypatch):
    info = commit_info(tmp_path)
    assert info.sha is None and info.source == "none" and info.note
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on the PATH
    info = commit_info(tmp_path, CommitOverrides(commit="abc", commit_time="2026-01-01T00:00:00"))
    assert info.note == "git is not installed"
    assert (info.sha, info.commit_time, info.source) == ("abc", "2026-01-01T00:00:00+00:00", "given")


def test_times_must_be_iso_8601():
    assert normalized_time("2025-10-31T10:40:46-07:00") == "2025-10-31T10:40:46-07:00"
    with pytest.raises(ValueError):
        normalized_time("yesterday")


def test_the_source_tree_comes_from_cmake_or_the_compile_commands(tmp_path):
    build = tmp_path / "build"
    build.mkdir()
    assert source_dir_of(build) == build
    (build / "compile_commands.json").write_text('[{"directory": "/b", "file": "/src/x/a.cc"}]')
    assert source_dir_of(build) == Path("/src/x")
    (build / "CMakeCache.txt").write_text("# c\nCMAKE_HOME_DIRECTORY:INTERNAL=/src/proj\n")
    assert source_dir_of(build) == Path("/src/proj")


def test_ancestors_and_merge_base(repo):
    from buildprof.git import ancestors, merge_base

    first, second = _git(repo, "rev-parse", "HEAD~1"), _git(repo, "rev-parse", "HEAD")
    _git(repo, "checkout", "-q", "-b", "feature")
    (repo / "b.h").write_text("int c;\n")
    _git(repo, "add", "b.h")
    _git(repo, "commit", "-q", "-m", "third")
    head = _git(repo, "rev-parse", "HEAD")
    assert ancestors(repo, head) == [second, first]
    assert ancestors(repo, head, limit=1) == [second]
    assert merge_base(repo, head, "main") == second
    assert merge_base(repo, head, "no-such-branch") is None
    assert ancestors(repo, "0" * 40) == []
