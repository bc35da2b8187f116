"""The build-graph commands: `critical-path` (what the last build waited on) and `what-if` (the last
build replayed by a simulator of ninja's scheduler, with changes)."""

from __future__ import annotations

import click

from buildprof.cli.options import Output, output_options, trace_options

BUILD_DIR = click.argument("build_dir", default=".", type=click.Path())


@click.command(name="critical-path")
@BUILD_DIR
@output_options()
@trace_options
def critical_path(build_dir: str, output: Output, use_cache: bool, jobs: int | None) -> None:
    """The longest chain of dependent steps of the last build, by measured duration.

    Needs the folder's .ninja_log and build.ninja. Each step on the path shows its drag (how much
    sooner the build could end if it took no time) and slack (0 on the path); the path's length
    is the build's wall time with unlimited cores. Steps that did not run in the build count as 0.

    \b
    Examples:
      buildprof critical-path build/
      buildprof critical-path build/ --top 20 --format json
    """
    from buildprof.cli.commands import run

    run("critical-path", build_dir, output, use_cache, jobs)


def _speedups(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple:
    from buildprof.pipeline_schedule import parse_speedup

    try:
        return tuple(parse_speedup(v) for v in values)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


@click.command(name="what-if")
@BUILD_DIR
@click.option(
    "--jobs",
    "what_if_jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Parallel jobs to simulate (default: the most steps the build ran at once).",
)
@click.option(
    "--speedup",
    "speedups",
    multiple=True,
    metavar="PATTERN=FACTOR",
    callback=_speedups,
    help="Make something FACTOR times faster: a target by name, steps whose output matches a shell "
    "pattern, or a header's parse time in every TU whose trace recorded it. Repeatable.",
)
@click.option(
    "--remove-header",
    "remove_headers",
    multiple=True,
    metavar="HEADER",
    help="Take a header's inclusive parse time out of every TU whose trace recorded it. Repeatable.",
)
@output_options()
@click.option("--no-cache", is_flag=True, help="Read every trace again; do not use or write the caches.")
def what_if(build_dir, what_if_jobs, speedups, remove_headers, output: Output, no_cache: bool) -> None:
    """Replay the last build with a simulator of ninja's scheduler: as measured, and with changes.

    Needs the folder's .ninja_log and build.ninja (and its traces for headers). The replay as
    measured shows how far the model is from the real wall time; the changes' effect is the
    difference between the two replays.

    \b
    Examples:
      buildprof what-if build/ --jobs 16
      buildprof what-if build/ --speedup 'absl/strings/*=2' --speedup str_format_internal=1.5
      buildprof what-if build/ --remove-header absl/base/config.h --format json
    """
    from buildprof.cli.commands import run

    run(
        "what-if",
        build_dir,
        output,
        not no_cache,
        None,
        what_if_jobs=what_if_jobs,
        speedups=speedups,
        remove_headers=remove_headers,
    )


GRAPH_COMMANDS: tuple[click.Command, ...] = (critical_path, what_if)
