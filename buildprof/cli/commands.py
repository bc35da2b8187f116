"""The commands, as a table: each names its document builder (buildprof.pipeline.BUILDERS), its
own options and its help; the group registers COMMANDS. Every command reads a build folder, builds
one document and writes it with the shared output options (cli.options)."""

from __future__ import annotations

from pathlib import Path

import click

from buildprof.cli.options import Output, emit, output_options, refuse_undrawable, trace_options

SORTS = ("inclusive", "self", "count", "tus")
BUILD_DIR = click.argument("build_dir", default=".", type=click.Path())


def run(command: str, build_dir: str, output: Output, use_cache: bool, jobs: int | None, **choices) -> None:
    """Build `command`'s document for `build_dir` (pipeline.build) and write it."""
    from buildprof.cli.progress import TraceProgress
    from buildprof.pipeline import ReportOptions, build

    refuse_undrawable(output.format, command)  # before any work
    options = ReportOptions(
        top=output.top,
        use_cache=use_cache,
        jobs=jobs,
        progress=TraceProgress(),
        output_path=output.path,
        **choices,
    )
    emit(build(command, build_dir, options), output)


@click.command()
@BUILD_DIR
@click.option("--all-builds", is_flag=True, help="Analyse every build the log holds, not only the last one.")
@click.option(
    "--all-traces",
    is_flag=True,
    help="Compile-time sections over every trace in the folder, not only the analysed build's TUs.",
)
@output_options()
@trace_options
def report(build_dir: str, all_builds: bool, all_traces: bool, output: Output, use_cache: bool, jobs) -> None:
    """Summarise a build: ninja steps (wall, CPU, weighted, kinds, targets) and clang traces.

    BUILD_DIR is the ninja build folder (default: the current folder), a .ninja_log file, or a folder
    of -ftime-trace .json files. With traces, the report adds compile units, targets, headers,
    templates and functions of the TUs the analysed build compiled (an incremental build's few);
    --all-traces takes every trace in the folder, the latest of each TU. `--format cba` prints
    ClangBuildAnalyzer's text (its settings from ./ClangBuildAnalyzer.ini, if there).

    \b
    Examples:
      buildprof report build/
      buildprof report build/ --top 20 -o build-report.md
      buildprof report build/ --all-builds --format json
    """
    from buildprof.cba_ini import read_cba_settings

    cba = read_cba_settings(Path.cwd())
    run("report", build_dir, output, use_cache, jobs, all_builds=all_builds, all_traces=all_traces, cba=cba)


def _listing(name: str, summary: str, examples: str, match_help: str) -> click.Command:
    """`headers`, `templates` or `functions`: rows of every current trace, sorted and filtered."""

    @click.command(name=name, help=f"{summary}\n\n\b\nExamples:\n{examples}")
    @BUILD_DIR
    @click.option(
        "--sort",
        type=click.Choice(SORTS),
        default="inclusive",
        show_default=True,
        help="inclusive time, self time, number of times, or number of TUs.",
    )
    @click.option("--match", "match", metavar="GLOB", default=None, help=match_help)
    @output_options(default_top=20)
    @trace_options
    def command(build_dir, sort, match, output, use_cache, jobs):
        run(name, build_dir, output, use_cache, jobs, sort=sort, match=match)

    return command


headers = _listing(
    "headers",
    "Included files by parse time: inclusive and self time, times included, TUs, include chains.",
    "  buildprof headers build/ --top 30\n  buildprof headers build/ --sort self --match 'absl/strings/*'",
    "Only files whose path matches this shell pattern: the full path, the path as the table shows it, "
    "or any end of it after a '/' (e.g. 'absl/strings/*', '*/boost/*', 'config.h').",
)
templates = _listing(
    "templates",
    "Template instantiations by time: inclusive and self, count, TUs, and which TUs pay most.",
    "  buildprof templates build/\n  buildprof templates build/ --match 'std::*' --format json",
    "Only instantiations whose name matches this shell pattern, e.g. 'std::vector<*' or '*::Parser<*'.",
)
functions = _listing(
    "functions",
    "Functions by code generation and optimisation time (demangled), with the module they are in.",
    "  buildprof functions build/ --top 50\n  buildprof functions build/ --sort count -o functions.md",
    "Only functions whose (demangled) name matches this shell pattern, e.g. 'absl::*' or '*::parse*'.",
)


@click.command()
@click.argument("header")
@BUILD_DIR
@output_options()
@trace_options
def why(header: str, build_dir: str, output: Output, use_cache: bool, jobs: int | None) -> None:
    """Why HEADER is compiled so often: every include chain, the TUs and targets that pay, its cost.

    HEADER is a path, the end of one (`absl/base/config.h`) or a file name when it is unique.

    \b
    Examples:
      buildprof why absl/strings/str_cat.h build/
      buildprof why config.h build/ --top 20 --format json
    """
    run("why", build_dir, output, use_cache, jobs, header=header)


COMMANDS: tuple[click.Command, ...] = (report, headers, templates, functions, why)
