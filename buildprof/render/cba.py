"""ClangBuildAnalyzer's `--analyze` text, byte for byte, from the report's `clang_build_analyzer` data.

Scripts written for ClangBuildAnalyzer keep working while their users switch: `buildprof report DIR
--format cba` prints what `ClangBuildAnalyzer --all DIR x.bin && ClangBuildAnalyzer --analyze x.bin`
prints between its "Analyzing..." and "done in" lines (tests/test_cba_parity.py compares it with
ClangBuildAnalyzer's own test cases). Names are cut to its `max_name` as it cuts them (by characters,
where it cuts by bytes: a multi-byte character is never split), and, unlike it, shown with their
control characters made visible (render.escape), as in every other format.
"""

from __future__ import annotations

from buildprof.model.report import ReportDocument
from buildprof.model.trace_report import CbaCounted, CbaReport, CbaSettings
from buildprof.render import RenderOptions
from buildprof.render.escape import visible


def render(doc: ReportDocument, options: RenderOptions) -> str:
    """The document's ClangBuildAnalyzer report as its text ("" when the report has no traces)."""
    if doc.traces is None:
        return ""
    return cba_text(doc.traces.clang_build_analyzer)


def cba_text(report: CbaReport) -> str:
    """The report in ClangBuildAnalyzer's exact text format (what `--analyze` prints)."""
    config = report.settings
    out: list[str] = []
    summary = report.time_summary
    if summary:
        out.append("**** Time summary:")
        out.append(f"Compilation ({summary.compilations} times):")
        out.append(f"  Parsing (frontend):        {summary.frontend_us / 1e6:7.1f} s")
        out.append(f"  Codegen & opts (backend):  {summary.backend_us / 1e6:7.1f} s")
        out.append("")
    for files, title in (
        (report.files_parse, "parse (compiler frontend)"),
        (report.files_codegen, "codegen (compiler backend)"),
    ):
        if files:
            out.append(f"**** Files that took longest to {title}:")
            out += [f"{e.us // 1000:6d} ms: {visible(e.file)}" for e in files]
            out.append("")
    if report.has_templates:
        out.append("**** Templates that took longest to instantiate:")
        out += [_counted_line(e, config) for e in report.templates]
        out.append("")
        out.append("**** Template sets that took longest to instantiate:")
        out += [_counted_line(e, config) for e in report.template_sets]
        out.append("")
    if report.has_functions:
        out.append("**** Functions that took longest to compile:")
        out += [f"{e.us // 1000:6d} ms: {_cut(e.name, config)} ({visible(e.file)})" for e in report.functions]
        out.append("")
        out.append("**** Function sets that took longest to compile / optimize:")
        out += [_counted_line(e, config) for e in report.function_sets]
        out.append("")
    if report.headers:
        out.append("**** Expensive headers:")
        for h in report.headers:
            ms = h.us // 1000
            avg = ms // h.count
            out.append(f"{ms} ms: {visible(h.file)} (included {h.count} times, avg {avg} ms), included via:")
            for chain in h.chains:
                names = "".join(f"{visible(p.rsplit('/', 1)[-1])} " for p in reversed(chain.files))
                out.append(f"  {chain.count}x: {names or '<direct include>'}")
            if h.more_chains:
                out.append("  ...")
            out.append("")
    return "\n".join(out) + ("\n" if out else "")


def _counted_line(entry: CbaCounted, config: CbaSettings) -> str:
    ms = entry.us // 1000
    avg = ms // max(entry.count, 1)
    return f"{ms:6d} ms: {_cut(entry.name, config)} ({entry.count} times, avg {avg} ms)"


def _cut(name: str, config: CbaSettings) -> str:
    name = name[: config.max_name - 2] + "..." if len(name) > config.max_name else name
    return visible(name)
