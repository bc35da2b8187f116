"""The commands that judge a change: `compare` two builds, and `ci` (record, compare with the
baseline, judge, write the artifacts; exit 1 on a regression)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from buildprof.cli.history_commands import commit_options, db_option, label_option
from buildprof.cli.options import CliError, Output, emit, output_options, refuse_undrawable, trace_options
from buildprof.cli.output import write_file, write_stderr

SUMMARY_LIMIT = 65_000  # characters: a GitHub step summary or pull-request comment holds 65,536
EXIT_REGRESSION = 1


@click.command()
@click.argument("base")
@click.argument("head")
@db_option
@click.option("--label", metavar="CONFIG", default=None, help="Label of recorded builds named by commit.")
@output_options()
def compare(base, head, db, label, output: Output) -> None:
    """What moved between two builds: totals, targets, headers and template sets, slower, faster,
    new and gone, largest change first.

    BASE and HEAD are each a build folder or a recorded build: #ID, a commit id or prefix, either
    with @LABEL, or @LABEL alone for that label's latest build.

    \b
    Examples:
      buildprof compare build-before/ build/
      buildprof compare 982f4254 926f1d05 --db history.sqlite
      buildprof compare '#12@clang19-release' build/
    """
    from buildprof.pipeline_change import compare_document

    refuse_undrawable(output.format, "compare")
    emit(compare_document(base, head, db, label), output)


@click.command()
@click.argument("build_dir", default=".", type=click.Path())
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Artifact folder to write."
)
@db_option
@label_option
@commit_options
@click.option(
    "--fail-on",
    "budgets",
    metavar="BUDGETS",
    default=None,
    help="Regression budgets, e.g. 'cpu:10%,wall:5%,+30s' (docs/regressions.md) [default: cpu:10%,cpu:+1s].",
)
@click.option(
    "--base-branch",
    metavar="NAME",
    default=None,
    help="Judge against where HEAD left this branch [default: $GITHUB_BASE_REF or GitLab's MR target].",
)
@trace_options
def ci(build_dir, out_dir, db, label, overrides, repo, budgets, base_branch, use_cache, jobs) -> None:
    """Record the last build of BUILD_DIR, compare it with its baseline and judge it; write summary.md,
    report.json, trend.png, trend.svg and report.html (the build's HTML report) to --out (and append
    the summary to $GITHUB_STEP_SUMMARY).

    Exit 0 when it passed (or there is nothing to compare with yet), 1 when it regressed, 2 on an
    error. The build is recorded before the verdict is known; a re-run of the same commit, label and
    machine replaces its earlier record.

    \b
    Examples:
      buildprof ci build/ --out buildprof-out
      buildprof ci build/ --out out --label clang19-release --fail-on cpu:10%,+30s --db history.sqlite
    """
    from buildprof.pipeline import ReportOptions
    from buildprof.pipeline_change import ci_document

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"{out}: cannot create the artifact folder: {exc.strerror or exc}") from None
    options = ReportOptions(use_cache=use_cache, jobs=jobs)
    doc = ci_document(build_dir, out_dir, db, label, overrides, repo, True, budgets, base_branch, options)
    write_artifacts(doc, out, db, html_report(build_dir, options))
    emit_summary(doc)
    if doc.status == "regressed":
        click.get_current_context().exit(EXIT_REGRESSION)


def html_report(build_dir: str, options) -> bytes | None:
    """The build's report as the HTML page (None, with a warning, when it cannot be made: the verdict
    and the other artifacts do not depend on it)."""
    from buildprof.cli.output import write_stderr
    from buildprof.errors import BuildprofError
    from buildprof.pipeline import build
    from buildprof.render.html import render_html

    try:
        return render_html(build("report", build_dir, options)).encode("utf-8", "surrogateescape")
    except BuildprofError as exc:
        write_stderr(f"warning: report.html left out: {exc}\n")
        return None


def write_artifacts(doc, out: Path, db: str | None, html: bytes | None = None) -> None:
    """summary.md, report.json, trend.png, trend.svg and report.html into `out`; the summary to the
    step summary."""
    from buildprof.pipeline_history import trend_document
    from buildprof.render.json import render_json
    from buildprof.render.markdown import render_markdown
    from buildprof.render.trend import draw_trend

    metrics = ["wall", "cpu"]
    if doc.verdict is not None and doc.status == "regressed" and doc.verdict.attribution.headers:
        metrics.append(f"header:{doc.verdict.attribution.headers[0].name}")
    trend = trend_document(metrics, db, doc.build.label, None)
    title = f"Build cost over commits: {doc.build.label}"
    doc.artifacts = ["summary.md", "report.json", "trend.png", "trend.svg"] + (
        ["report.html"] if html else []
    )
    files = {
        "trend.png": draw_trend(trend.series, "png", title=title),
        "trend.svg": draw_trend(trend.series, "svg", title=title),
    }
    if html:
        files["report.html"] = html
    summary = capped_summary(render_markdown(doc, SUMMARY_LIMIT))
    files["summary.md"] = summary.encode("utf-8", "backslashreplace")
    files["report.json"] = render_json(doc).encode("utf-8")
    for name, data in files.items():
        try:
            write_file(out / name, data)
        except OSError as exc:
            raise CliError(f"{out / name}: cannot write: {exc.strerror or exc}") from None
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        try:
            with open(step_summary, "a", encoding="utf-8", errors="backslashreplace") as handle:
                handle.write(summary + "\n")
        except OSError as exc:
            raise CliError(f"{step_summary}: cannot append the step summary: {exc.strerror or exc}") from None


def capped_summary(markdown: str) -> str:
    """The summary cut, at a line, to fit a pull-request comment (the JSON artifact has everything);
    render_markdown already keeps it under the limit by cutting rows: this is the last resort."""
    from buildprof.render.markdown import cap_markdown

    return cap_markdown(
        markdown, SUMMARY_LIMIT, "*(cut to fit a comment: the whole report is in report.json)*"
    )


def emit_summary(doc) -> None:
    """The verdict for the log: the terminal rendering on stdout."""
    emit(doc, Output(_terminal(), None, 10))
    write_stderr(f"Wrote {', '.join(doc.artifacts)}\n")


def _terminal():
    from buildprof.render import format_named

    return format_named("terminal")


CHANGE_COMMANDS: tuple[click.Command, ...] = (compare, ci)
