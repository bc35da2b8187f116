"""Which commit a build was made from: git's answer for the build's source tree, with what the user
or the CI system says first (`--commit`, `BUILDPROF_COMMIT`, ...). Never raises: what cannot be told
is left empty and `note` says why (no git, not a checkout, a shallow clone).

The source tree is found from the build folder: CMake's `CMakeCache.txt` (CMAKE_HOME_DIRECTORY),
else the first file of `compile_commands.json`, else the build folder itself (often inside the
checkout). Git runs with a time limit and its output is decoded losslessly (surrogateescape).
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from buildprof.model.history import CommitInfo, MachineInfo

GIT_TIMEOUT_S = 20
_FIELDS = "%H%x00%P%x00%cI%x00%s"  # sha, parents, committer date (strict ISO 8601), subject
# Branch names CI systems give on a detached HEAD (pull/merge request source first).
CI_BRANCH_VARIABLES = (
    "GITHUB_HEAD_REF",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
    "CI_COMMIT_BRANCH",
    "GITHUB_REF_NAME",
    "BUILDKITE_BRANCH",
    "BRANCH_NAME",
)


class CommitOverrides(msgspec.Struct, frozen=True):
    """What the command line or the environment says about the commit (None: ask git)."""

    commit: str | None = None
    branch: str | None = None
    commit_time: str | None = None  # ISO 8601

    @classmethod
    def from_environment(cls, commit=None, branch=None, commit_time=None) -> CommitOverrides:
        """Options first, then BUILDPROF_COMMIT, BUILDPROF_BRANCH, BUILDPROF_COMMIT_TIME."""
        env = os.environ
        return cls(
            commit=commit or env.get("BUILDPROF_COMMIT") or None,
            branch=branch or env.get("BUILDPROF_BRANCH") or None,
            commit_time=commit_time or env.get("BUILDPROF_COMMIT_TIME") or None,
        )


def normalized_time(text: str) -> str:
    """An ISO 8601 time with its offset (`Z` accepted; a time without an offset is taken as UTC);
    ValueError naming the text when it is not one."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO 8601 time: {text!r} (e.g. 2026-08-22T01:42:51-07:00)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def source_dir_of(build_dir: str | Path) -> Path:
    """The source tree a build folder was configured from (see the module docstring)."""
    build_dir = Path(build_dir)
    folder = build_dir if build_dir.is_dir() else build_dir.parent
    home = cmake_home_directory(folder)
    if home is not None:
        return Path(home)
    entries = compile_commands(folder)
    try:
        first = Path(entries[0]["file"])
        return first.parent if first.is_absolute() else Path(entries[0]["directory"]) / first.parent
    except (LookupError, TypeError):
        return folder


def cmake_home_directory(folder: Path) -> str | None:
    """CMAKE_HOME_DIRECTORY of the folder's CMakeCache.txt (the source tree); None without one."""
    try:
        for line in (folder / "CMakeCache.txt").read_text(errors="surrogateescape").splitlines():
            if line.startswith("CMAKE_HOME_DIRECTORY:"):
                return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return None


def compile_commands(folder: Path) -> list:
    """The entries of the folder's compile_commands.json; empty when there is none or it is not JSON."""
    try:
        entries = json.loads((folder / "compile_commands.json").read_bytes())
    except (OSError, ValueError):
        return []
    return entries if isinstance(entries, list) else []


def commit_info(source: str | Path | None, overrides: CommitOverrides | None = None) -> CommitInfo:
    """The commit of the checkout holding `source` (None: no repository), overrides applied first."""
    overrides = overrides or CommitOverrides()
    notes: list[str] = []
    found: dict = {}
    if source is not None:
        found = _from_git(Path(source), overrides.commit, notes)
    given = {k: v for k, v in msgspec.structs.asdict(overrides).items() if v is not None}
    if "commit_time" in given:
        given["commit_time"] = normalized_time(given["commit_time"])
    known = found.get("sha")
    if "commit" in given and known:
        if known.startswith(given["commit"].lower()):
            given["commit"] = known  # a short id git resolved: recorded in full
        else:  # git answered for another commit (HEAD): keep only what is true of the checkout
            found = {k: v for k, v in found.items() if k in ("repository", "shallow")}
    if "branch" not in given and found.get("sha") and not found.get("branch"):
        ci_branch = next(((n, os.environ[n]) for n in CI_BRANCH_VARIABLES if os.environ.get(n)), None)
        if ci_branch:
            given["branch"] = ci_branch[1]
            notes.append(f"branch from {ci_branch[0]}")
    info = {**found, **{("sha" if k == "commit" else k): v for k, v in given.items()}}
    origin = "+".join(
        name for name, used in (("git", bool(found.get("sha"))), ("given", bool(given))) if used
    )
    return CommitInfo(
        sha=info.get("sha"),
        parents=tuple(info.get("parents", ())),
        branch=info.get("branch"),
        commit_time=info.get("commit_time"),
        subject=info.get("subject"),
        dirty=info.get("dirty"),
        shallow=info.get("shallow"),
        repository=info.get("repository"),
        source=origin or "none",
        note="; ".join(notes) or None,
    )


def _from_git(source: Path, commit: str | None, notes: list[str]) -> dict:
    """What git says about the checkout holding `source` (and about `commit` in it, if given)."""
    folder = source if source.is_dir() else source.parent
    top = _git(folder, ["rev-parse", "--show-toplevel"], None)
    if top is None:
        if not notes:
            _note(notes, f"no git checkout holds {folder}" if _git_found() else "git is not installed")
        return {}
    repo = Path(top)
    found: dict = {"repository": top}
    found["shallow"] = _git(repo, ["rev-parse", "--is-shallow-repository"], notes) == "true"
    line = _git(repo, ["log", "-1", f"--format={_FIELDS}", commit or "HEAD", "--"], notes)
    if line is None:
        return found
    sha, parents, when, subject = ([*line.split("\0"), "", "", ""])[:4]
    found.update(sha=sha, parents=parents.split(), commit_time=when or None, subject=subject or None)
    if commit is None or sha.startswith(commit) or commit.startswith(sha):
        head = _git(repo, ["rev-parse", "HEAD"], notes)
        if head == sha:  # the working tree is this commit: its branch and whether it is dirty
            found["branch"] = _git(repo, ["symbolic-ref", "--short", "-q", "HEAD"], None) or None
            status = _git(repo, ["status", "--porcelain", "--untracked-files=no"], notes)
            found["dirty"] = None if status is None else bool(status.strip())
    return found


def _git(folder: Path, args: list[str], notes: list[str] | None) -> str | None:
    """git's output (stripped), or None with a note when git is missing, fails or takes too long."""
    try:
        done = subprocess.run(
            ["git", "-C", os.fsdecode(folder), *args],
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
        )
    except FileNotFoundError:
        _note(notes, "git is not installed")
        return None
    except (OSError, subprocess.SubprocessError) as exc:
        _note(notes, f"git could not run ({type(exc).__name__})")
        return None
    if done.returncode != 0:
        first = done.stderr.decode("utf-8", "surrogateescape").strip().splitlines()[:1]
        _note(notes, f"git {args[0]} in {folder} failed: {first[0] if first else done.returncode}")
        return None
    return done.stdout.decode("utf-8", "surrogateescape").strip()


def _git_found() -> bool:
    import shutil

    return shutil.which("git") is not None


def _note(notes: list[str] | None, text: str) -> None:
    if notes is not None and text not in notes:
        notes.append(text)


def machine_info() -> MachineInfo:
    """This machine: BUILDPROF_MACHINE or the host name, its logical CPUs, its system."""
    host = os.environ.get("BUILDPROF_MACHINE") or socket.gethostname() or "unknown"
    return MachineInfo(
        host=host,
        cores=os.cpu_count() or 1,
        system=f"{platform.system()}-{platform.release()}-{platform.machine()}",
    )


def ancestors(repo: str | Path, sha: str, limit: int = 200) -> list[str]:
    """`sha`'s first-parent ancestors, nearest first (not `sha` itself); empty when git cannot say
    (no git, unknown commit, a shallow clone cut before them)."""
    out = _git(Path(repo), ["rev-list", "--first-parent", f"--max-count={limit}", f"{sha}^", "--"], None)
    return out.split() if out else []


def merge_base(repo: str | Path, sha: str, branch: str) -> str | None:
    """Where `sha` left `branch` (tried as origin/BRANCH, then BRANCH); None when git cannot say."""
    for ref in (f"origin/{branch}", branch):
        found = _git(Path(repo), ["merge-base", sha, ref], None)
        if found:
            return found
    return None
