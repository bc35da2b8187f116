"""`buildprof trace`: the analysed build as a Chrome / Perfetto trace file (JSON), streamed out."""

from __future__ import annotations

from pathlib import Path

import click

from buildprof.cli.options import CliError, trace_options
from buildprof.cli.output import stdout_is_a_terminal, write_file_parts, write_stderr, write_stdout


@click.command()
@click.argument("build_dir", default=".", type=click.Path())
@click.option(
    "-o",
    "--output",
    "output_path",
    type=click.Path(dir_okay=False),
    help="Write the trace to this file (default: standard output). Never one of the inputs.",
)
@click.option(
    "--embed-time-trace",
    "embed",
    is_flag=True,
    help="Put each compile step's clang -ftime-trace events beneath it (headers, templates, passes).",
)
@click.option(
    "--granularity",
    "granularity_ms",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    metavar="MS",
    help="With --embed-time-trace: leave out clang events shorter than MS milliseconds.",
)
@trace_options
def trace(build_dir: str, output_path, embed: bool, granularity_ms: float, use_cache: bool, jobs) -> None:
    """Export the last build as a Chrome / Perfetto trace: every ninja step on the worker lane it ran
    on, named by its output, with its kind, target, duration and weighted time.

    Open the file at https://ui.perfetto.dev ("Open trace file") or in chrome://tracing.

    \b
    Examples:
      buildprof trace build/ -o build-trace.json
      buildprof trace build/ --embed-time-trace --granularity 1 -o build-trace.json
    """
    from buildprof.cli.progress import TraceProgress
    from buildprof.model.trace_export import TraceExportCounts
    from buildprof.pipeline_trace import TraceExportOptions, trace_export
    from buildprof.render.chrome_trace import chrome_trace

    if output_path is None and stdout_is_a_terminal():
        raise CliError(
            "a trace is for Perfetto or chrome://tracing: give -o FILE, or redirect standard output"
        )
    options = TraceExportOptions(
        embed=embed,
        granularity_ms=granularity_ms,
        use_cache=use_cache,
        jobs=jobs,
        progress=TraceProgress(),
        output_path=output_path,
    )
    export = trace_export(build_dir, options)
    counts = TraceExportCounts()
    parts = chrome_trace(export, counts)
    if output_path is None:
        try:
            for part in parts:
                write_stdout(part)
        except OSError as exc:
            raise CliError(f"cannot write the trace to standard output: {exc.strerror or exc}") from None
    else:
        try:
            write_file_parts(Path(output_path), parts)
        except OSError as exc:
            raise CliError(f"{output_path}: cannot write: {exc.strerror or exc}") from None
    for line in [*export.warnings, *counts.unreadable]:
        write_stderr(f"warning: {line}\n")
    if counts.longer:
        more = f" (and {len(counts.longer) - 1} more)" if len(counts.longer) > 1 else ""
        write_stderr(
            f"warning: {counts.longer[0]}{more}: a trace longer than its step may come from another "
            "build; its events were scaled into the step\n"
        )
    if output_path is not None:
        embedded = f", {counts.clang_events} clang events from {counts.traces} traces" if embed else ""
        write_stderr(f"Wrote {counts.steps} steps on {export.lanes} lanes{embedded} to {output_path}\n")


TRACE_COMMANDS: tuple[click.Command, ...] = (trace,)
