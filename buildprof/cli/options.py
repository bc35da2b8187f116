"""Options every data-showing command shares (--format, -o, --top), and writing the result."""

from __future__ import annotations

import functools
from pathlib import Path

import click

from buildprof.cli.output import terminal_width, write_file, write_stderr, write_stdout
from buildprof.render import FORMATS, get_renderer, guess_format
from buildprof.render.escape import visible


class CliError(click.ClickException):
    """A usage or input error: printed as `Error: ...` (made visible), exit code 2."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(visible(message))


def output_options(default_top: int = 10):
    """Add --format, --output/-o and --top to a command; it receives an `output` dict."""

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
            help="Write to this file; the format follows its suffix (.txt, .md, .json). "
            "Never one of the inputs.",
        )
        @click.option(
            "--format",
            "fmt",
            type=click.Choice(FORMATS),
            default=None,
            help="Output format [default: terminal, or guessed from -o; a suffix of -o that names "
            "another format is an error].",
        )
        @functools.wraps(command)
        def wrapper(*args, fmt, output_path, top, **kwargs):
            output = {"format": resolve_format(fmt, output_path), "path": output_path, "top": top}
            return command(*args, output=output, **kwargs)

        return wrapper

    return decorate


def resolve_format(fmt: str | None, output_path: str | None) -> str:
    """The output format: --format, else the suffix of -o, else terminal; the two must not disagree."""
    guessed = guess_format(output_path) if output_path else None
    if fmt:
        if guessed is not None and guessed != fmt:
            raise click.UsageError(
                f"-o {visible(output_path or '')!r} looks like {guessed} (its suffix) but --format says "
                f"{fmt}: change one of them"
            )
        return fmt
    if output_path:
        if guessed is None:
            raise click.UsageError(
                f"cannot tell the format from {visible(output_path)!r}: use a .txt, .md or .json suffix, "
                "or pass --format"
            )
        return guessed
    return "terminal"


def emit(doc: dict, output: dict) -> None:
    """Render `doc` in the chosen format to the chosen destination (stdout by default).

    The problems with the inputs (problem_lines) go to stderr first, whatever the format.
    """
    from buildprof.render.problems import problem_lines

    width = terminal_width() if not output["path"] else None
    text = get_renderer(output["format"])(doc, width=width)
    problems = problem_lines(doc)
    if problems:
        write_stderr("".join(f"warning: {line}\n" for line in problems))
    if output["path"]:
        path = Path(output["path"])
        try:
            write_file(path, text)
        except OSError as exc:
            raise CliError(f"{path}: cannot write: {exc.strerror or exc}") from None
        write_stderr(f"Wrote {output['format']} report to {path}\n")
        return
    try:
        write_stdout(text)
    except OSError as exc:
        raise CliError(f"cannot write the report to standard output: {exc.strerror or exc}") from None
