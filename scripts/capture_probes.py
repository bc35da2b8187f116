"""Touch each header of the sample project and record what ninja rebuilds: the reference for
buildprof's header rebuild impact.

For every header under the source folder, in path order: its modification time is set to now (the
file's bytes stay the same, as `touch` does), `ninja -n` prints the steps a build would run (a dry
run: nothing runs, nothing is logged), then the real `ninja` runs them; the entries it adds to
`.ninja_log` are the outputs it rebuilt. The build is up to date again after each header, so every
probe starts from the same state. Written to `header_probes.json` in the capture.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

from capture_logs import entry_key, read_log
from capture_tools import Runner

_DRY_RUN_LINE = re.compile(r"^\[(\d+)/(\d+)\] (.*)$")


def probe_headers(ninja: str, runner: Runner, src: Path, build: Path, jobs: int) -> list[dict[str, Any]]:
    """Touch every header of `src` in turn; record ninja's dry run and the outputs it rebuilt."""
    log_path = build / ".ninja_log"
    probes = []
    for header in sorted(p for p in src.rglob("*.h") if p.is_file()):
        relative = header.relative_to(src).as_posix()
        time.sleep(0.05)  # a new mtime strictly after every output's, at any timestamp resolution
        now = time.time_ns()
        os.utime(header, ns=(now, now))
        dry = runner.run([ninja, "-n", f"-j{jobs}"], cwd=build, purpose=f"ninja -n after touching {relative}")
        before = set(map(entry_key, read_log(log_path)[1]))
        runner.run([ninja, f"-j{jobs}"], cwd=build, purpose=f"rebuild after touching {relative}")
        # what this build logged: entries not there before (ninja recompacts the log now and then)
        entries = [e for e in read_log(log_path)[1] if entry_key(e) not in before]
        probes.append(
            {
                "header": relative,
                "path": str(header),
                "dry_run": [m.group(3) for m in map(_DRY_RUN_LINE.match, dry.splitlines()) if m],
                "rebuilt_outputs": sorted({e.output for e in entries}),
            }
        )
        print(f"   {relative}: {len(probes[-1]['dry_run'])} steps", flush=True)
    return probes
