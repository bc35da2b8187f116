"""The history commands: `record` a build, list the `history`, draw a `trend` (compare and ci live in
cli/change_commands.py). Each builds its document (buildprof.pipeline_history) and writes it with the
shared output options."""

from __future__ import annotations

import functools

import click

from buildprof.cli.options import Output, emit, output_options, refuse_undrawable, trace_options

DB_HELP = (
    "History store: an SQLite file or sqlite:/// URL, or postgresql://user@host/db "
    "[default: $BUILDPROF_DB, else ~/.local/share/buildprof/history.sqlite]."
)
LABEL_HELP = 'Configuration label, e.g. "clang19-release" [default: $BUILDPROF_LABEL, else "default"].'


def db_option(command):
    """Add --db; the command receives `db` (None: the default store)."""
    return click.option("--db", "db", metavar="URL|FILE", default=None, help=DB_HELP)(command)


def label_option(command):
    """Add --label; the command receives `label` (a string, "default" when neither option nor variable)."""

    @click.option("--label", "label", metavar="CONFIG", default=None, help=LABEL_HELP)
    @functools.wraps(command)
    def wrapper(*args, label: str | None, **kwargs):
        import os

        return command(*args, label=label or os.environ.get("BUILDPROF_LABEL") or "default", **kwargs)

    return wrapper


def commit_options(command):
    """Add --commit, --branch, --commit-time and --repo; the command receives `overrides` and `repo`."""

    @click.option(
        "--commit",
        metavar="SHA",
        default=None,
        help="The commit built [default: $BUILDPROF_COMMIT, else git].",
    )
    @click.option(
        "--branch",
        metavar="NAME",
        default=None,
        help="Its branch [default: $BUILDPROF_BRANCH, else git or CI].",
    )
    @click.option(
        "--commit-time",
        metavar="ISO8601",
        default=None,
        help="Its commit time, e.g. 2026-08-22T01:42:51-07:00 [default: $BUILDPROF_COMMIT_TIME, else git].",
    )
    @click.option(
        "--repo",
        metavar="PATH",
        default=None,
        type=click.Path(file_okay=False),
        help="The source checkout [default: from CMakeCache.txt or compile_commands.json].",
    )
    @functools.wraps(command)
    def wrapper(*args, commit, branch, commit_time, repo, **kwargs):
        from buildprof.git import CommitOverrides, normalized_time

        if commit_time:
            try:
                normalized_time(commit_time)
            except ValueError as exc:
                raise click.BadParameter(str(exc), param_hint="--commit-time") from None
        overrides = CommitOverrides.from_environment(commit, branch, commit_time)
        return command(*args, overrides=overrides, repo=repo, **kwargs)

    return wrapper


@click.command()
@click.argument("build_dir", default=".", type=click.Path())
@db_option
@label_option
@commit_options
@click.option(
    "--replace", is_flag=True, help="Replace an earlier record of the same commit, label and machine."
)
@output_options()
@trace_options
def record(build_dir, db, label, overrides, repo, replace, output: Output, use_cache, jobs) -> None:
    """Store the last build of BUILD_DIR in the history: its totals and the cost of every target,
    header and template set, keyed by commit, label and machine.

    \b
    Examples:
      buildprof record build/
      buildprof record build/ --label clang19-release --db history.sqlite
      buildprof record build/ --commit "$CI_COMMIT_SHA" --branch main --db postgresql://ci@db/buildprof
    """
    from buildprof.pipeline import ReportOptions
    from buildprof.pipeline_history import record_document

    refuse_undrawable(output.format, "record")
    options = ReportOptions(use_cache=use_cache, jobs=jobs)
    doc = record_document(build_dir, db, label, overrides, repo, replace, options)
    emit(doc, output)


@click.command()
@db_option
@click.option("--label", metavar="CONFIG", default=None, help="Only builds of this configuration.")
@click.option("--branch", metavar="NAME", default=None, help="Only builds of this branch.")
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="List at most this many (newest first)."
)
@output_options()
def history(db, label, branch, limit, output: Output) -> None:
    """List the recorded builds, newest commit first.

    \b
    Examples:
      buildprof history
      buildprof history --label clang19-release --limit 20 --format markdown
    """
    from buildprof.pipeline_history import history_document

    refuse_undrawable(output.format, "history")
    emit(history_document(db, label, branch, limit), output)


@click.command()
@db_option
@label_option
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    type=click.Choice(["wall", "cpu", "trace"]),
    help="Totals to draw (repeatable) [default: wall and cpu].",
)
@click.option("--target", "targets", multiple=True, metavar="NAME", help="Also draw this target's CPU time.")
@click.option(
    "--header", "headers", multiple=True, metavar="PATH", help="Also draw this header's parse time."
)
@click.option("--machine", default=None, metavar="HOST", help="Only builds recorded on this machine.")
@output_options()
def trend(db, label, metrics, targets, headers, machine, output: Output) -> None:
    """Build cost over the recorded builds of a label: as a chart (-o trend.png / trend.svg), or as
    a table, with each series' noise and the commits where its level changed.

    \b
    Examples:
      buildprof trend -o trend.png
      buildprof trend --label clang19-release --target absl_strings --header absl/base/config.h -o t.svg
    """
    from buildprof.pipeline_history import trend_document

    refuse_undrawable(output.format, "trend")
    chosen = [
        *(metrics or ("wall", "cpu")),
        *(f"target:{t}" for t in targets),
        *(f"header:{h}" for h in headers),
    ]
    emit(trend_document(chosen, db, label, machine), output)


HISTORY_COMMANDS: tuple[click.Command, ...] = (record, history, trend)
