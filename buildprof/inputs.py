"""What a build folder holds for a report, listed once: its ninja files and its trace files.

Both readers find their own files (buildprof.ninja.inputs, buildprof.traces); this gathers them, says
what was skipped, and keeps the report from being written over any of them.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from buildprof.errors import InputError
from buildprof.model.report import SkippedInput
from buildprof.model.traces import TraceFile, TraceFiles

if TYPE_CHECKING:  # the warm (cached) report path never needs the ninja records: not imported there
    from buildprof.model.ninja import NinjaManifest
    from buildprof.ninja.inputs import BuildInputs


class FolderInputs(msgspec.Struct):
    """What a build folder holds: its ninja files, its trace (JSON) files, what was skipped."""

    path: str  # as given on the command line
    inputs: BuildInputs
    traces: TraceFiles
    skipped: list[tuple[str, str]]  # inputs that were not read, and why

    @property
    def build_dir(self) -> Path:
        return self.inputs.build_dir

    @property
    def files(self) -> list[TraceFile]:
        """The JSON files found, sorted by path."""
        return self.traces.files

    def manifests(self) -> list[Path]:
        """The ninja manifests a report may read (build.ninja and the files CMake includes from it)."""
        folder = self.inputs.manifest_dir
        if folder is None:
            return []
        return sorted([*Path(folder).glob("*.ninja"), *Path(folder).glob("CMakeFiles/*.ninja")])

    def skipped_inputs(self, manifest: NinjaManifest | None = None) -> list[SkippedInput]:
        """Every input file that was not read, and why (the manifest's skipped includes too)."""
        skipped = [*self.skipped, *(manifest.skipped_files if manifest is not None else [])]
        return [SkippedInput(path=path, message=message) for path, message in skipped]


def find_inputs(path: str | Path, with_traces: bool = True) -> FolderInputs:
    """The inputs under `path` (a build folder, a folder of traces, or a `.ninja_log` file); without
    `with_traces`, the folder is not searched for trace files (a command that reads none)."""
    from buildprof.ninja.inputs import discover_inputs

    inputs = discover_inputs(path)
    traces = TraceFiles(str(inputs.build_dir))
    if with_traces and inputs.scan_traces:
        from buildprof.traces import find_trace_files

        traces = find_trace_files(inputs.build_dir)
    return FolderInputs(str(path), inputs, traces, [*inputs.skipped, *traces.skipped])


def refuse_to_overwrite_inputs(found: FolderInputs, output_path: str | None) -> None:
    """InputError when the report would be written over one of the files it is computed from.

    Only an existing regular file can be one (a FIFO or device given to -o is written to, never
    replaced); it is compared by device and inode, so links and other spellings of a path are seen.
    """
    if not output_path:
        return
    try:
        out = os.stat(output_path)
    except OSError:
        return
    if not stat.S_ISREG(out.st_mode):
        return
    candidates = [found.inputs.ninja_log, *found.manifests()]
    candidates += [f.path for f in found.files if f.size == out.st_size and f.mtime_ns == out.st_mtime_ns]
    for candidate in filter(None, candidates):
        try:
            same = os.path.samefile(candidate, output_path)
        except OSError:
            continue
        if same:
            message = f"refusing to write the report over {candidate}, an input of this analysis"
            raise InputError(f"{message} (choose another -o)", output_path)
