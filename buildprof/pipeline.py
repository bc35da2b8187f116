"""From a build folder to a report document: ingest the inputs, analyse them, assemble the sections.

This is the one place that wires ingest (I/O) to analysis (pure); the CLI and library users call it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from buildprof import __version__
from buildprof.errors import InputError
from buildprof.model import SCHEMA_VERSION


@dataclass
class ReportOptions:
    """What to put in a report."""

    top: int = 10
    all_builds: bool = False


def document_header(command: str, build_dir: str | Path) -> dict:
    """Fields every JSON document starts with (see docs/formats.md)."""
    return {
        "schema": "buildprof",
        "schema_version": SCHEMA_VERSION,
        "generator": f"buildprof {__version__}",
        "command": command,
        "build_dir": str(build_dir),
    }


def build_report(path: str | Path, options: ReportOptions | None = None) -> dict:
    """The `report` document for a build folder (or a `.ninja_log` file)."""
    from buildprof.analysis.ninja_report import ninja_section
    from buildprof.ingest.discover import discover_inputs
    from buildprof.ingest.ninja_log import read_ninja_log
    from buildprof.ingest.ninja_manifest import read_ninja_manifest

    options = options or ReportOptions()
    inputs = discover_inputs(path)
    if inputs.ninja_log is None:
        raise InputError(
            "nothing buildprof can read here: no .ninja_log (is this a ninja build folder?)",
            inputs.build_dir,
        )
    log = read_ninja_log(inputs.ninja_log)
    manifest = read_ninja_manifest(inputs.manifest_dir) if inputs.manifest_dir else None
    doc = document_header("report", inputs.build_dir)
    section, _ = ninja_section(log, manifest, options.top, options.all_builds)
    if not section["builds"]:
        raise InputError(_no_build_message(section["ninja_log"]), log.path)
    doc.update(section)
    return doc


def _no_build_message(facts: dict) -> str:
    if facts["unordered"]:
        return (
            f"no build can be told apart: {facts['unordered']['message']}; run a build to append a fresh one"
        )
    if facts["problems_total"]:
        return f"no valid line: all {facts['problems_total']} lines are damaged"
    return "the ninja log holds no step yet (no build has finished a step)"
