"""The options every command shares (--format, -o, --top; --no-cache, --jobs), and writing its document."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import click
import msgspec

from buildprof.cli.output import stdout_is_a_terminal, terminal_width, write_file, write_stderr, write_stdout
from buildprof.render import FORMAT_NAMES, FORMATS, Format, RenderOptions, format_named, formats_for
from buildprof.render.escape import visible

if TYPE_CHECKING:
    from buildprof.model.report import Document


class CliError(click.ClickException):
    """A usage or input error: printed as `Error: ...` (made visible), exit code 2."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(visible(message))


class Output(msgspec.Struct, frozen=True):
    """Where and how a command's document goes."""

    format: Format
    path: str | None  # None: standard output
    top: int


def output_options(default_top: int = 10):
    """Add --format, --output/-o and --top to a command; it receives an `output` (Output)."""

    def decorate(command):
        @click.option(
            "--top",
            "top",
            type=click.IntRange(min=1),
            default=default_top,
            show_default=True,
            help="How many rows each table lists.",
        )
        @click.option(
            "-o",
            "--output",
            "output_path",
            type=click.Path(dir_okay=False),
            help="Write to this file; the format follows its suffix (.txt, .md, .json, .html). "
            "Never one of the inputs.",
        )
        @click.option(
            "--format",
            "fmt",
            type=click.Choice(FORMAT_NAMES),
            default=None,
            help="Output format [default: terminal, or guessed from -o; a suffix of -o that names "
            "another format is an error].",
        )
        @functools.wraps(command)
        def wrapper(*args, fmt, output_path, top, **kwargs):
            output = Output(resolve_format(fmt, output_path), output_path, top)
            return command(*args, output=output, **kwargs)

        return wrapper

    return decorate


def trace_options(command):
    """Add --no-cache and --jobs; the command receives `use_cache` and `jobs`."""

    @click.option(
        "--jobs",
        "-j",
        type=click.IntRange(min=1),
        default=None,
        help="Worker processes for reading traces [default: one per core, at most 64].",
    )
    @click.option(
        "--no-cache",
        "no_cache",
        is_flag=True,
        help="Read every trace again, ignoring and not updating the caches.",
    )
    @functools.wraps(command)
    def wrapper(*args, no_cache: bool, jobs: int | None, **kwargs):
        return command(*args, use_cache=not no_cache, jobs=jobs, **kwargs)

    return wrapper


def resolve_format(fmt: str | None, output_path: str | None) -> Format:
    """The output format: --format, else the suffix of -o, else terminal; the two must not disagree."""
    guessed = formats_for(output_path) if output_path else ()
    if fmt:
        chosen = format_named(fmt)
        if guessed and chosen not in guessed:
            raise click.UsageError(
                f"-o {visible(output_path or '')!r} looks like {guessed[0].name} (its suffix) but --format "
                f"says {fmt}: change one of them"
            )
        return chosen
    if output_path:
        if not guessed:
            suffixes = ", ".join(dict.fromkeys(s for f in FORMATS for s in f.suffixes))
            raise click.UsageError(
                f"cannot tell the format from {visible(output_path)!r}: use a suffix ({suffixes}), "
                "or pass --format"
            )
        return guessed[0]
    return format_named("terminal")


def refuse_undrawable(fmt: Format, command: str) -> None:
    """CliError when `fmt` cannot draw `command`'s document (e.g. `headers --format cba`)."""
    if command not in fmt.commands:
        raise CliError(f"--format {fmt.name} draws only the {' or '.join(fmt.commands)} command's document")


def emit(doc: Document, output: Output) -> None:
    """Render `doc` in the chosen format to the chosen destination (stdout by default).

    The problems with the inputs (problem_lines) go to stderr first, whatever the format.
    """
    from buildprof.model.report import command_of
    from buildprof.render.problems import problem_lines

    fmt = output.format
    refuse_undrawable(fmt, command_of(doc))
    if fmt.binary and not output.path and stdout_is_a_terminal():
        raise CliError(f"--format {fmt.name} is binary: give -o FILE, or redirect standard output")
    width = terminal_width() if not output.path else None
    rendered = fmt.renderer()(doc, RenderOptions(width=width))
    problems = problem_lines(doc)
    if problems:
        write_stderr("".join(f"warning: {line}\n" for line in problems))
    data = rendered if isinstance(rendered, bytes) else rendered.encode("utf-8", "backslashreplace")
    if output.path:
        path = Path(output.path)
        try:
            write_file(path, data)
        except OSError as exc:
            raise CliError(f"{path}: cannot write: {exc.strerror or exc}") from None
        write_stderr(f"Wrote {fmt.name} report to {path}\n")
        return
    try:
        write_stdout(data)
    except OSError as exc:
        raise CliError(f"cannot write the report to standard output: {exc.strerror or exc}") from None
