"""The problems with a report's inputs as one-line warnings, for standard error.

A damaged log line, a damaged trace, an input that was skipped or a cache that could not be used is
always said on stderr, whatever the format and destination of the report (and it is in the document).
"""

from __future__ import annotations

from buildprof.model.report import Document

MAX_LINES = 10  # per kind of problem; the document lists them all


def problem_lines(doc: Document) -> list[str]:
    """`path[:line]: message` for every problem the document records (capped per kind)."""
    lines: list[str] = []
    _add(lines, [f"{s.path}: {s.message}" for s in doc.skipped_inputs], "input(s) skipped")
    log = getattr(doc, "ninja_log", None)
    if log is not None:
        problems = [f"{log.path}:{p.line}: {p.message}" for p in log.problems]
        _add(lines, problems, "damaged log line(s) skipped", log.problems_total)
        if log.unordered:
            lines.append(f"{log.path}: {log.unordered.message}")
    facts = getattr(doc, "trace_input", None)
    if facts is None:
        return lines
    _add(
        lines,
        [f"{d.path}: {d.message}" for d in facts.damaged],
        "damaged trace(s) skipped",
    )
    events = facts.damaged_events
    _add(
        lines,
        [f"{d.path}: {d.events} damaged event(s) left out: {d.message}" for d in events],
        "trace(s) with damaged events",
    )
    if facts.cache_problem:
        lines.append(facts.cache_problem)
    return lines


def _add(lines: list[str], found: list[str], what: str, total: int | None = None) -> None:
    total = len(found) if total is None else total
    lines += found[:MAX_LINES]
    if total > min(len(found), MAX_LINES):
        lines.append(f"... {total} {what} in all (--format json lists them)")
