"""Find what a build folder holds that buildprof can read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from buildprof.errors import InputError

NINJA_LOG = ".ninja_log"
MANIFEST = "build.ninja"


@dataclass
class BuildInputs:
    """Paths of the inputs found for one build folder (None where absent)."""

    build_dir: Path
    ninja_log: Path | None
    manifest_dir: Path | None  # the folder holding build.ninja
    scan_traces: bool = True  # False when a log file was given: its folder is not a build folder


def discover_inputs(path: str | Path) -> BuildInputs:
    """Inputs under `path`: a build folder, or a `.ninja_log` file given directly."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such file or folder", path)
    if path.is_file():
        folder = path.parent
        manifest = folder if (folder / MANIFEST).is_file() else None
        return BuildInputs(folder, path, manifest, scan_traces=False)
    log = path / NINJA_LOG
    return BuildInputs(
        build_dir=path,
        ninja_log=log if log.is_file() else None,
        manifest_dir=path if (path / MANIFEST).is_file() else None,
    )
