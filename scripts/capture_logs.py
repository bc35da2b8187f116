"""Read and summarise ``.ninja_log`` files, and derive logs from them.

The numbers ``capture.json`` records for each build (lines, steps, wall time)
are computed here from the log ninja wrote.  This module also holds the two
captures that are about the log itself rather than about a build: the
recompaction experiment (more rebuilds, then the real ``ninja -t recompact``)
and the hand-damaged copies of a log (truncated, glued and invalid-line
variants) written to ``damaged/``, which ninja cannot be made to produce.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from capture_tools import CaptureError, Runner

#: Comment line appended to a source file to force a rebuild of what depends on it.
TOUCH_LINE = "// touched by capture_fixtures.py to force a rebuild\n"

#: Object files deleted (plain unlink) before the first extra rebuild that
#: precedes ``ninja -t recompact``.  ``ninja -t clean <output>`` is not used:
#: it also cleans the inputs of the output recursively, order-only ones
#: included, which with CMake's generated build.ninja removes nearly
#: everything (generated sources, static libraries and their objects).
RECOMPACT_DELETE_OUTPUTS = (
    "text/CMakeFiles/text.dir/src/pattern.cc.o",
    "engine/CMakeFiles/engine.dir/src/vm.cc.o",
)
#: Files touched (a comment line appended) for the following extra rebuilds,
#: in this order, as long as the log stays below ninja's automatic
#: recompaction threshold.
RECOMPACT_TOUCHES = (
    "codegen/opcodes.def",
    "core/include/core/strings.h",
    "meta/include/meta/typelist.h",
)


# --------------------------------------------------------------------------
# .ninja_log analysis
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class LogEntry:
    """One well-formed ``.ninja_log`` line."""

    line_no: int  # 1-based line number in the file (the header is line 1)
    start_ms: int
    end_ms: int
    mtime: int
    output: str
    cmdhash: str


def entry_key(entry: LogEntry) -> tuple[str, int, int, int, str]:
    """What tells one logged output of one build from another (line numbers change on recompaction)."""
    return (entry.output, entry.start_ms, entry.end_ms, entry.mtime, entry.cmdhash)


def read_log(path: Path) -> tuple[str, list[LogEntry]]:
    """Parse a well-formed ``.ninja_log``: return (header line, entries)."""
    lines = path.read_text().splitlines()
    header = lines[0]
    entries = []
    for no, line in enumerate(lines[1:], start=2):
        start, end, mtime, output, cmdhash = line.split("\t")
        entries.append(LogEntry(no, int(start), int(end), int(mtime), output, cmdhash))
    return header, entries


def log_version(header: str) -> int:
    """Return N from a ``# ninja log vN`` header line."""
    m = re.fullmatch(r"# ninja log v(\d+)", header)
    if not m:
        raise CaptureError(f"unexpected .ninja_log header {header!r}")
    return int(m.group(1))


def summarize_build(index: int, kind: str, entries: list[LogEntry]) -> dict[str, Any]:
    """Numbers for one build, given the log entries it appended.

    A *step* is one ninja edge: the lines of a multi-output edge share
    start, end and command hash, so steps are the distinct
    (start_ms, end_ms, cmdhash) triples.  ``wall_ms`` is
    ``max(end_ms) - min(start_ms)`` over the build's lines; ``max_end_ms`` is
    the end of the last step relative to ninja's start.
    """
    steps: dict[tuple[int, int, str], list[str]] = {}
    for e in entries:
        steps.setdefault((e.start_ms, e.end_ms, e.cmdhash), []).append(e.output)
    multi = [outs for outs in steps.values() if len(outs) > 1]
    return {
        "index": index,
        "kind": kind,
        "first_line": entries[0].line_no,
        "last_line": entries[-1].line_no,
        "lines": len(entries),
        "steps": len(steps),
        "min_start_ms": min(e.start_ms for e in entries),
        "max_end_ms": max(e.end_ms for e in entries),
        "wall_ms": max(e.end_ms for e in entries) - min(e.start_ms for e in entries),
        "sum_step_ms": sum(end - start for (start, end, _h) in steps),
        "multi_output_steps": multi,
    }


def ninja_reported_steps(output: str) -> int | None:
    """Return N from the last ``[n/N]`` status line ninja printed, if any."""
    totals = re.findall(r"^\[(\d+)/(\d+)\]", output, flags=re.M)
    return int(totals[-1][1]) if totals else None


def count_unique_outputs(path: Path) -> tuple[int, int]:
    """Return (entries, unique outputs) of a log, as ninja's Load() counts them."""
    _header, entries = read_log(path)
    return len(entries), len({e.output for e in entries})


def would_auto_recompact(path: Path) -> bool:
    """True if ninja would recompact this log before the next build.

    Mirrors BuildLog::Load(): more than 100 entries and more than three times
    as many entries as unique outputs.
    """
    total, unique = count_unique_outputs(path)
    return total > 100 and total > 3 * unique


def out_of_order_lines(entries: list[LogEntry]) -> list[int]:
    """Line numbers whose start time is smaller than the previous line's."""
    return [b.line_no for a, b in itertools.pairwise(entries) if b.start_ms < a.start_ms]


# --------------------------------------------------------------------------
# Recompaction experiment
# --------------------------------------------------------------------------


def recompact_experiment(
    ninja: str, runner: Runner, src: Path, build: Path, out: Path, jobs: int
) -> dict[str, Any]:
    """Run more rebuilds in ``build``, then the real ``ninja -t recompact``.

    Each extra rebuild is only started while the log is still below ninja's
    automatic recompaction threshold, so ``ninja_log.before_recompact`` is a
    plain append-only log of several builds.  ``ninja -t recompact`` rewrites
    the log unconditionally (the threshold only governs the automatic
    recompaction at the start of a build) with one line per live output, in
    the iteration order of ninja's hash map.  ``ninja`` is the binary's path.
    """
    log_path = build / ".ninja_log"
    actions: list[tuple[str, list[str]]] = [("delete " + " ".join(RECOMPACT_DELETE_OUTPUTS), [])]
    for rel in RECOMPACT_TOUCHES:
        actions.append((f"touch src/{rel}", [rel]))
    done: list[dict[str, Any]] = []
    for what, touch in actions:
        if would_auto_recompact(log_path):
            break
        lines_before = len(log_path.read_text().splitlines())
        time.sleep(1.1)
        if touch:
            for rel in touch:
                p = src / rel
                with p.open("a") as f:
                    f.write("# touched\n" if p.suffix == ".def" else TOUCH_LINE)
            runner.log.append(
                {
                    "purpose": f"append a comment line to src/{touch[0]}",
                    "argv": [],
                    "cwd": str(src),
                    "returncode": 0,
                    "wall_s": 0,
                }
            )
        else:
            for rel in RECOMPACT_DELETE_OUTPUTS:
                (build / rel).unlink()
            runner.log.append(
                {
                    "purpose": "delete build/" + " build/".join(RECOMPACT_DELETE_OUTPUTS),
                    "argv": [],
                    "cwd": str(build),
                    "returncode": 0,
                    "wall_s": 0,
                }
            )
        runner.run([ninja, f"-j{jobs}"], cwd=build, purpose=f"extra build: {what}")
        lines_after = len(log_path.read_text().splitlines())
        if lines_after < lines_before:
            raise CaptureError("ninja recompacted the log on its own during an extra build")
        done.append({"action": what, "first_line": lines_before + 1, "last_line": lines_after})
    shutil.copyfile(log_path, out / "ninja_log.before_recompact")
    before_total, before_unique = count_unique_outputs(log_path)
    runner.run([ninja, "-t", "recompact"], cwd=build, purpose="ninja -t recompact")
    shutil.copyfile(log_path, out / "ninja_log.recompacted")
    header, entries = read_log(log_path)
    disorder = out_of_order_lines(entries)
    return {
        "extra_builds": done,
        "before_recompact": {
            "lines": before_total + 1,
            "entries": before_total,
            "unique_outputs": before_unique,
        },
        "recompacted": {
            "header": header,
            "lines": len(entries) + 1,
            "entries": len(entries),
            "unique_outputs": len({e.output for e in entries}),
            "start_time_decreases_at_lines": disorder,
        },
    }


# --------------------------------------------------------------------------
# Derived (damaged) logs
# --------------------------------------------------------------------------


def write_damaged_logs(source_dir: Path, dest: Path) -> dict[str, Any]:
    """Write hand-damaged copies of ``source_dir/.ninja_log`` into ``dest``.

    ``source_dir`` must hold a two-build ``.ninja_log`` and ``ninja_log.clean``
    (the log after the first build).  Line numbers are 1-based and count the
    ``# ninja log vN`` header as line 1.
    """
    raw = (source_dir / ".ninja_log").read_text()
    lines = raw.splitlines(keepends=True)
    n_clean = len((source_dir / "ninja_log.clean").read_text().splitlines())
    n_total = len(lines)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    facts: dict[str, Any] = {
        "derived_from": f"{source_dir.name}/.ninja_log",
        "source_lines": n_total,
        "source_build1_last_line": n_clean,
    }

    def cut_in_output_field(line: str) -> str:
        """Keep the first three fields and half of the output path."""
        fields = line.rstrip("\n").split("\t")
        return "\t".join(fields[:3]) + "\t" + fields[3][: len(fields[3]) // 2]

    # 1. truncated: the last line stops in the middle of its output field and
    #    has no newline, as a build killed while writing the log leaves it.
    truncated = "".join(lines[:-1]) + cut_in_output_field(lines[-1])
    (dest / "ninja_log.truncated").write_text(truncated)
    facts["ninja_log.truncated"] = {
        "lines": n_total,
        "damaged_lines": [n_total],
        "what": f"line {n_total} (the last) is cut inside its 4th field (output path), "
        "no trailing newline; lines 1..%d are intact" % (n_total - 1),
    }

    # 2. glued: build 1 is killed while writing its last line; build 2 then
    #    appends its first line directly after the partial one.
    glued = "".join(lines[: n_clean - 1]) + cut_in_output_field(lines[n_clean - 1]) + "".join(lines[n_clean:])
    (dest / "ninja_log.glued").write_text(glued)
    facts["ninja_log.glued"] = {
        "lines": n_total - 1,
        "damaged_lines": [n_clean],
        "what": f"line {n_clean} = first half of original line {n_clean} (last entry of "
        f"build 1, cut inside the output field) immediately followed by original "
        f"line {n_clean + 1} (first entry of build 2); lines after it are original "
        f"lines {n_clean + 2}..{n_total} shifted up by one",
    }

    # 3. invalid: one object-file line in the middle of build 1 (not part of
    #    a multi-output edge) gets a non-numeric start time.
    bad = 2 + (n_clean - 2) // 2
    while not lines[bad - 1].split("\t")[3].endswith(".o"):
        bad += 1
    fields = lines[bad - 1].split("\t")
    fields[0] = "bad"
    invalid = lines[:]
    invalid[bad - 1] = "\t".join(fields)
    (dest / "ninja_log.invalid_start").write_text("".join(invalid))
    facts["ninja_log.invalid_start"] = {
        "lines": n_total,
        "damaged_lines": [bad],
        "what": f"line {bad}: start field replaced by the text 'bad'; all other lines intact",
    }

    readme = [
        "# Damaged ninja logs (derived, not written by ninja)",
        "",
        f"Written by `scripts/capture_fixtures.py` from `{facts['derived_from']}` "
        f"({n_total} lines: header, build 1 = lines 2..{n_clean}, "
        f"build 2 = lines {n_clean + 1}..{n_total}).",
        "Line numbers are 1-based; the `# ninja log v5` header is line 1.",
        "",
    ]
    for name in ("ninja_log.truncated", "ninja_log.glued", "ninja_log.invalid_start"):
        readme.append(f"- `{name}` ({facts[name]['lines']} lines): {facts[name]['what']}.")
    (dest / "README.md").write_text("\n".join(readme) + "\n")
    (dest / "damage.json").write_text(json.dumps(facts, indent=2) + "\n")
    return facts
