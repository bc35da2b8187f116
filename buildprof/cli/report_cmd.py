"""`buildprof report`: the whole picture of the last build in a folder."""

from __future__ import annotations

import click

from buildprof.cli.options import emit, output_options
from buildprof.cli.trace_options import trace_options


@click.command()
@click.argument("build_dir", default=".", type=click.Path())
@click.option("--all-builds", is_flag=True, help="Analyse every build the log holds, not only the last one.")
@click.option(
    "--all-traces",
    is_flag=True,
    help="Compile-time sections over every trace in the folder, not only the analysed build's TUs.",
)
@output_options()
@trace_options
def report(
    build_dir: str, all_builds: bool, all_traces: bool, output: dict, use_cache: bool, jobs: int | None
) -> None:
    """Summarise a build: ninja steps (wall, CPU, weighted, kinds, targets) and clang traces.

    BUILD_DIR is the ninja build folder (default: the current folder), a .ninja_log file, or a folder
    of -ftime-trace .json files. With traces, the report adds compile units, targets, headers,
    templates and functions of the TUs the analysed build compiled (an incremental build's few);
    --all-traces takes every trace in the folder, the latest of each TU.

    \b
    Examples:
      buildprof report build/
      buildprof report build/ --top 20 -o build-report.md
      buildprof report build/ --all-builds --format json
    """
    from buildprof.cli.progress import TraceProgress
    from buildprof.pipeline import ReportOptions, build_report

    options = ReportOptions(
        top=output["top"],
        all_builds=all_builds,
        all_traces=all_traces,
        use_cache=use_cache,
        jobs=jobs,
        progress=TraceProgress(),
        output_path=output["path"],
    )
    emit(build_report(build_dir, options), output)
