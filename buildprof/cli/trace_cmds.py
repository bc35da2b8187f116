"""`buildprof headers|templates|functions|why`: the compile-time anatomy from clang's traces."""

from __future__ import annotations

import click

from buildprof.cli.options import emit, output_options
from buildprof.cli.trace_options import trace_options

SORTS = ("inclusive", "self", "count", "tus")


def _options(output: dict, use_cache: bool, jobs: int | None):
    from buildprof.cli.progress import TraceProgress
    from buildprof.pipeline import ReportOptions

    return ReportOptions(
        top=output["top"],
        use_cache=use_cache,
        jobs=jobs,
        progress=TraceProgress(),
        output_path=output["path"],
    )


def _listing_command(what: str, summary: str, example: str, match_help: str):
    @click.command(name=what, help=f"{summary}\n\n\b\nExamples:\n{example}")
    @click.argument("build_dir", default=".", type=click.Path())
    @click.option(
        "--sort",
        type=click.Choice(SORTS),
        default="inclusive",
        show_default=True,
        help="inclusive time, self time, number of times, or number of TUs.",
    )
    @click.option(
        "--match",
        "match",
        metavar="GLOB",
        default=None,
        help=match_help,
    )
    @output_options(default_top=20)
    @trace_options
    def command(build_dir, sort, match, output, use_cache, jobs):
        from buildprof.pipeline import build_listing

        doc = build_listing(build_dir, what, sort, match, _options(output, use_cache, jobs))
        emit(doc, output)

    return command


headers = _listing_command(
    "headers",
    "Included files by parse time: inclusive and self time, times included, TUs, include chains.",
    "  buildprof headers build/ --top 30\n  buildprof headers build/ --sort self --match 'absl/strings/*'",
    "Only files whose path matches this shell pattern: the full path, the path as the table shows it, "
    "or any end of it after a '/' (e.g. 'absl/strings/*', '*/boost/*', 'config.h').",
)
templates = _listing_command(
    "templates",
    "Template instantiations by time: inclusive and self, count, TUs, and which TUs pay most.",
    "  buildprof templates build/\n  buildprof templates build/ --match 'std::*' --format json",
    "Only instantiations whose name matches this shell pattern, e.g. 'std::vector<*' or '*::Parser<*'.",
)
functions = _listing_command(
    "functions",
    "Functions by code generation and optimisation time (demangled), with the module they are in.",
    "  buildprof functions build/ --top 50\n  buildprof functions build/ --sort count -o functions.md",
    "Only functions whose (demangled) name matches this shell pattern, e.g. 'absl::*' or '*::parse*'.",
)


@click.command()
@click.argument("header")
@click.argument("build_dir", default=".", type=click.Path())
@output_options()
@trace_options
def why(header: str, build_dir: str, output: dict, use_cache: bool, jobs: int | None) -> None:
    """Why HEADER is compiled so often: every include chain, the TUs and targets that pay, its cost.

    HEADER is a path, the end of one (`absl/base/config.h`) or a file name when it is unique.

    \b
    Examples:
      buildprof why absl/strings/str_cat.h build/
      buildprof why config.h build/ --top 20 --format json
    """
    from buildprof.pipeline import build_why

    emit(build_why(build_dir, header, _options(output, use_cache, jobs)), output)
