"""Find what a build folder holds that buildprof can read."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import msgspec

from buildprof.errors import InputError
from buildprof.files import kind_of, stat_failure, why_unusable

NINJA_LOG = ".ninja_log"
MANIFEST = "build.ninja"


class BuildInputs(msgspec.Struct):
    """Paths of the inputs found for one build folder (None where absent)."""

    build_dir: Path
    ninja_log: Path | None
    manifest_dir: Path | None  # the folder holding build.ninja
    scan_traces: bool = True  # False when a log file was given: its folder is not a build folder
    skipped: list[tuple[str, str]] = []  # (path, why) of inputs not read


def discover_inputs(path: str | Path) -> BuildInputs:
    """Inputs under `path`: a build folder, or a `.ninja_log` file given directly.

    A path that is neither (missing, a dangling link, a link loop, a FIFO or device) is an InputError
    saying which; a `.ninja_log` or `build.ninja` in the folder that is not a regular file is skipped
    with a note, never opened.
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InputError(stat_failure(path, exc), path) from None
    if not stat.S_ISDIR(mode) and not stat.S_ISREG(mode):
        raise InputError(f"is {kind_of(mode)}, not a build folder or a ninja log", path)
    if stat.S_ISREG(mode):  # the ninja log itself
        folder = path.parent
        skipped: list[tuple[str, str]] = []
        manifest = folder if _regular(folder / MANIFEST, skipped) else None
        return BuildInputs(folder, path, manifest, scan_traces=False, skipped=skipped)
    skipped = []
    log = path / NINJA_LOG
    return BuildInputs(
        build_dir=path,
        ninja_log=log if _regular(log, skipped) else None,
        manifest_dir=path if _regular(path / MANIFEST, skipped) else None,
        skipped=skipped,
    )


def _regular(path: Path, skipped: list[tuple[str, str]]) -> bool:
    """Whether `path` is a regular file to read; a note in `skipped` when it exists but is not one."""
    problem = why_unusable(path)
    if problem is None:
        return True
    if problem != "no such file or folder":
        skipped.append((str(path), f"{problem}: skipped"))
    return False
