"""How often each file of a source tree changed: git's commits over a window (`--since DATE` or the
last N commits), for the expected rebuild cost of a header per commit.

Never raises: without git, or outside a checkout, the answer carries a note and no counts, and the
rest of buildprof runs. Merge commits are left out (their changes are counted on the commits that
made them); renames count as a change of the new path.
"""

from __future__ import annotations

from pathlib import Path

from buildprof.git import _git
from buildprof.model.churn import FileChurn

DEFAULT_COMMITS = 500  # the window when neither --since nor --commits is given


def file_churn(source: str | Path, since: str | None = None, commits: int | None = None) -> FileChurn:
    """Commits per file (by absolute path) in the checkout holding `source`, over the window."""
    folder = Path(source)
    folder = folder if folder.is_dir() else folder.parent
    window = f"since {since}" if since else f"the last {commits or DEFAULT_COMMITS} commits"
    notes: list[str] = []
    top = _git(folder, ["rev-parse", "--show-toplevel"], notes)
    if top is None:
        return FileChurn(window=window, note=notes[0] if notes else f"no git checkout holds {folder}")
    args = ["-c", "core.quotePath=false", "log", "-z", "--no-merges", "--no-renames", "--name-only"]
    args += ["--format=%x01%H%x02%cI"]
    args += [f"--since={since}"] if since else [f"--max-count={commits or DEFAULT_COMMITS}"]
    out = _git(Path(top), [*args, "HEAD", "--"], notes)
    if out is None:
        return FileChurn(repository=top, window=window, note=notes[0] if notes else "git log failed")
    return _parse_log(out, Path(top), window)


def _parse_log(out: str, top: Path, window: str) -> FileChurn:
    """Count `git log -z --name-only --format=%x01%H%x02%cI` output by file."""
    changes: dict[str, int] = {}
    times: list[str] = []
    for token in out.split("\0"):
        token = token.lstrip("\n")
        if not token:
            continue
        if token.startswith("\x01"):
            times.append(token.partition("\x02")[2])
            continue
        path = str(top / token)
        changes[path] = changes.get(path, 0) + 1
    return FileChurn(
        repository=str(top),
        window=window,
        commits=len(times),
        newest=times[0] if times else None,
        oldest=times[-1] if times else None,
        changes=changes,
    )
