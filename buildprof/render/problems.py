"""The problems with a report's inputs as one-line warnings, for standard error.

A damaged log line, a damaged trace, an input that was skipped or a cache that could not be used is
always said on stderr, whatever the format and destination of the report (and it is in the document).
"""

from __future__ import annotations

MAX_LINES = 10  # per kind of problem; the document lists them all


def problem_lines(doc: dict) -> list[str]:
    """`path[:line]: message` for every problem the document records (capped per kind)."""
    lines: list[str] = []
    _add(lines, [f"{s['path']}: {s['message']}" for s in doc.get("skipped_inputs") or []], "input(s) skipped")
    log = doc.get("ninja_log") or {}
    problems = [f"{log['path']}:{p['line']}: {p['message']}" for p in log.get("problems") or []]
    _add(lines, problems, "damaged log line(s) skipped", log.get("problems_total", 0))
    if log.get("unordered"):
        lines.append(f"{log['path']}: {log['unordered']['message']}")
    facts = doc.get("trace_input") or {}
    _add(
        lines,
        [f"{d['path']}: {d['message']}" for d in facts.get("damaged") or []],
        "damaged trace(s) skipped",
    )
    events = facts.get("damaged_events") or []
    _add(
        lines,
        [f"{d['path']}: {d['events']} damaged event(s) left out: {d['message']}" for d in events],
        "trace(s) with damaged events",
    )
    if facts.get("cache_problem"):
        lines.append(facts["cache_problem"])
    return lines


def _add(lines: list[str], found: list[str], what: str, total: int | None = None) -> None:
    total = len(found) if total is None else total
    lines += found[:MAX_LINES]
    if total > min(len(found), MAX_LINES):
        lines.append(f"... {total} {what} in all (--format json lists them)")
