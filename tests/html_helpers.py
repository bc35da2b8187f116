"""Documents for the HTML report's tests: a real build's report, the same with hostile names, and a
report of 3,000 translation units made from the real abseil rows (for the page's size and caps)."""

from __future__ import annotations

import copy
from pathlib import Path

import msgspec

from buildprof.analysis.lanes import assign_lanes
from buildprof.model.report import ReportDocument, Timeline, TimelineStep
from buildprof.pipeline import ReportOptions, build

CAPTURE = Path(__file__).resolve().parents[1] / "fixtures" / "captures" / "clang19-ninja1.11"
# The template name: it must be shown as text, never close the script element it could end up in.
HOSTILE_TEMPLATE = 'std::vector<int, X<"</script><script>alert(1)</script>">>'
# Names with what visible() shows as escapes: an ESC sequence, a right-to-left override, a byte that
# was not UTF-8 (surrogateescape), a line separator; and markup in a path and a target.
HOSTILE_HEADER = "/src/<img src=x onerror=alert(2)>/evil\u202eh.tad\u2028.h"
HOSTILE_OUTPUT = "obj/</script><!--<script>alert(3)</script>\x1b[31m\udcff.o"
HOSTILE_TARGET = "tgt&amp;<b>bold</b>"


def report_of(folder: Path, top: int = 10) -> ReportDocument:
    """The report document of a real build folder, computed afresh (no cache read or written)."""
    doc = build("report", str(folder), ReportOptions(top=top, use_cache=False))
    assert isinstance(doc, ReportDocument)
    return doc


def json_of(doc: ReportDocument) -> dict:
    """The document as its JSON output decodes (plain dicts and lists)."""
    return msgspec.json.decode(msgspec.json.encode(doc))


def hostile(doc: ReportDocument) -> ReportDocument:
    """A copy with hostile names in a template, a header, a step (timeline and table) and a target."""
    doc = copy.deepcopy(doc)
    doc.traces.templates[0].name = HOSTILE_TEMPLATE
    doc.traces.headers[0].file = HOSTILE_HEADER
    doc.traces.headers[0].chains[0].files[0] = HOSTILE_HEADER
    build0 = doc.builds[-1]
    slowest = build0.slowest_steps[0]
    for step in build0.timeline.steps:
        if step.output == slowest.output:
            step.output = HOSTILE_OUTPUT
            step.target = HOSTILE_TARGET
    slowest.output = HOSTILE_OUTPUT
    slowest.target = HOSTILE_TARGET
    return doc


def large_report(base: ReportDocument, tus: int = 3000) -> ReportDocument:
    """A report of `tus` translation units built from a real report's rows, each copied under a new
    name (TU k's steps keep the real durations of step k mod n): a timeline of every step, and
    `tus` rows in every table, as `buildprof report --top 3000` would give for such a build."""
    doc = copy.deepcopy(base)
    b = doc.builds[-1]
    real = b.timeline.steps
    lanes, per_lane_end = 32, [0] * 32
    starts, ends, steps = [], [], []
    for k in range(tus + tus // 10):  # compiles, and a tenth as many archives and links
        src = real[k % len(real)]
        lane = min(range(lanes), key=per_lane_end.__getitem__)
        start = per_lane_end[lane]
        end = start + (src.end_ms - src.start_ms)
        per_lane_end[lane] = end
        starts.append(start)
        ends.append(end)
        steps.append(
            msgspec.structs.replace(
                src, output=f"lib{k % 97}/obj/{k}/{src.output}", start_ms=start, end_ms=end
            )
        )
    lane_of = assign_lanes(starts, ends).tolist()
    ordered = sorted(zip(steps, lane_of, strict=True), key=lambda p: (p[0].start_ms, p[1]))
    b.timeline = Timeline(
        lanes=max(lane_of) + 1,
        steps_total=len(ordered),
        steps=[msgspec.structs.replace(s, lane=lane) for s, lane in ordered],
    )
    t = doc.traces

    def many(rows: list, field: str) -> list:
        return [
            msgspec.structs.replace(
                rows[k % len(rows)], **{field: f"{getattr(rows[k % len(rows)], field)}#{k}"}
            )
            for k in range(tus)
        ]

    b.slowest_steps = many(b.slowest_steps, "output")
    b.slowest_weighted = many(b.slowest_weighted, "output")
    t.compile_units = many(t.compile_units, "trace")
    t.headers = many(t.headers, "file")
    t.templates = many(t.templates, "name")
    t.template_sets = many(t.template_sets, "set")
    t.functions = many(t.functions, "name")
    t.function_sets = many(t.function_sets, "set")
    b.summary = msgspec.structs.replace(b.summary, steps=len(steps))
    doc.trace_scope = msgspec.structs.replace(doc.trace_scope, tus=tus)
    return doc


def timeline_step(output: str, start: int, end: int, lane: int) -> TimelineStep:
    return TimelineStep(
        output=output, start_ms=start, end_ms=end, weighted_ms=0.0, kind="compile", target="t", lane=lane
    )
