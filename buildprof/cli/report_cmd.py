"""`buildprof report`: the whole picture of the last build in a folder."""

from __future__ import annotations

import click

from buildprof.cli.options import emit, output_options


@click.command()
@click.argument("build_dir", default=".", type=click.Path())
@click.option("--all-builds", is_flag=True, help="Analyse every build the log holds, not only the last one.")
@output_options()
def report(build_dir: str, all_builds: bool, output: dict) -> None:
    """Summarise a ninja build: wall and CPU time, slowest steps, time by kind and by target.

    BUILD_DIR is the ninja build folder (default: the current folder) or a .ninja_log file.

    \b
    Examples:
      buildprof report build/
      buildprof report build/ --top 20 -o build-report.md
      buildprof report build/ --all-builds --format json
    """
    from buildprof.pipeline import ReportOptions, build_report

    doc = build_report(build_dir, ReportOptions(top=output["top"], all_builds=all_builds))
    emit(doc, output)
