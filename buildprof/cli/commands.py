"""The commands, as a table: each names its document builder (buildprof.pipeline.BUILDERS), its
own options and its help; the group registers COMMANDS. Every command reads a build folder, builds
one document and writes it with the shared output options (cli.options)."""

from __future__ import annotations

from pathlib import Path

import click

from buildprof.cli.options import Output, emit, output_options, refuse_undrawable, trace_options

SORTS = ("inclusive", "self", "count", "tus")
BUILD_DIR = click.argument("build_dir", default=".", type=click.Path())


def git_window_options(command):
    """--since, --commits, --repo: how often headers changed in git, for their expected rebuild cost."""
    command = click.option(
        "--repo",
        type=click.Path(file_okay=False),
        default=None,
        help="The git checkout of the sources (default: the source tree CMakeCache.txt or "
        "compile_commands.json name).",
    )(command)
    command = click.option(
        "--commits", type=click.IntRange(min=1), default=None, help="Count changes over the last N commits."
    )(command)
    return click.option(
        "--since",
        metavar="DATE",
        default=None,
        help="Count changes over commits since DATE (as git log --since).",
    )(command)


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
      buildprof report build/ -o report.html
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


@click.command(name="headers")
@BUILD_DIR
@click.option(
    "--sort",
    type=click.Choice((*SORTS, "impact")),
    default="inclusive",
    show_default=True,
    help="inclusive time, self time, number of times, number of TUs, or impact: expected rebuild "
    "cost per commit (how often git saw the header change x what touching it rebuilds).",
)
@click.option(
    "--match",
    "match",
    metavar="GLOB",
    default=None,
    help="Only files whose path matches this shell pattern: the full path, the path as the table shows "
    "it, or any end of it after a '/' (e.g. 'absl/strings/*', '*/boost/*', 'config.h').",
)
@git_window_options
@output_options(default_top=20)
@trace_options
def headers(build_dir, sort, match, since, commits, repo, output, use_cache, jobs):
    """Included files by parse time: inclusive and self time, times included, TUs, include chains.

    With ninja's .ninja_deps and build.ninja in the folder it also counts, exactly, the TUs that
    include each header (traces leave out includes faster than clang's granularity) and ranks the
    project's headers by what touching one rebuilds (CPU time, and wall time at the build's
    parallelism); with --since or --commits, by how often git saw it change times that cost.

    \b
    Examples:
      buildprof headers build/ --top 30
      buildprof headers build/ --sort self --match 'absl/strings/*'
      buildprof headers build/ --sort impact --since 2026-01-01
    """
    if sort == "impact" and since is None and commits is None:
        from buildprof.git_churn import DEFAULT_COMMITS

        commits = DEFAULT_COMMITS
    run(
        "headers",
        build_dir,
        output,
        use_cache,
        jobs,
        sort=sort,
        match=match,
        since=since,
        commits=commits,
        repo=repo,
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
@git_window_options
@output_options()
@trace_options
def why(header, build_dir, since, commits, repo, output: Output, use_cache: bool, jobs: int | None) -> None:
    """Why HEADER is compiled so often: every include chain, the TUs and targets that pay, its cost.

    HEADER is a path, the end of one (`absl/base/config.h`) or a file name when it is unique. With
    .ninja_deps and build.ninja: how many TUs include it (exact) and what touching it rebuilds.

    \b
    Examples:
      buildprof why absl/strings/str_cat.h build/
      buildprof why config.h build/ --top 20 --format json
    """
    run("why", build_dir, output, use_cache, jobs, header=header, since=since, commits=commits, repo=repo)


def _graph_commands() -> tuple[click.Command, ...]:
    from buildprof.cli.graph_commands import GRAPH_COMMANDS

    return GRAPH_COMMANDS


COMMANDS: tuple[click.Command, ...] = (report, headers, templates, functions, why, *_graph_commands())
