"""Options of every command that reads traces: --no-cache and --jobs."""

from __future__ import annotations

import functools

import click


def trace_options(command):
    """Add --no-cache and --jobs; the command receives `use_cache` and `jobs`."""

    @click.option(
        "--jobs",
        "-j",
        type=click.IntRange(min=1),
        default=None,
        help="Worker processes for reading traces [default: one per core].",
    )
    @click.option(
        "--no-cache",
        "no_cache",
        is_flag=True,
        help="Read every trace again, ignoring and not updating the summary cache.",
    )
    @functools.wraps(command)
    def wrapper(*args, no_cache: bool, jobs: int | None, **kwargs):
        return command(*args, use_cache=not no_cache, jobs=jobs, **kwargs)

    return wrapper
