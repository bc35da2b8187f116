"""Options every data-showing command shares (--format, -o, --top), and writing the result."""

from __future__ import annotations

import functools
from pathlib import Path

import click

from buildprof.render import FORMATS, get_renderer, guess_format


class CliError(click.ClickException):
    """A usage or input error: printed as `Error: ...`, exit code 2."""

    exit_code = 2


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
            help="Write to this file; the format follows its suffix (.txt, .md, .json).",
        )
        @click.option(
            "--format",
            "fmt",
            type=click.Choice(FORMATS),
            default=None,
            help="Output format [default: terminal, or guessed from -o].",
        )
        @functools.wraps(command)
        def wrapper(*args, fmt, output_path, top, **kwargs):
            output = {"format": resolve_format(fmt, output_path), "path": output_path, "top": top}
            return command(*args, output=output, **kwargs)

        return wrapper

    return decorate


def resolve_format(fmt: str | None, output_path: str | None) -> str:
    if fmt:
        return fmt
    if output_path:
        guessed = guess_format(output_path)
        if guessed is None:
            raise click.UsageError(
                f"cannot tell the format from {output_path!r}: use a .txt, .md or .json suffix, "
                "or pass --format"
            )
        return guessed
    return "terminal"


def emit(doc: dict, output: dict) -> None:
    """Render `doc` in the chosen format to the chosen destination (stdout by default)."""
    text = get_renderer(output["format"])(doc)
    if output["path"]:
        path = Path(output["path"])
        try:
            write_output(path, text)
        except OSError as exc:
            raise CliError(f"{path}: cannot write: {exc.strerror}") from None
        click.echo(f"Wrote {output['format']} report to {path}", err=True)
    else:
        click.echo(text, nl=False)


def write_output(path: Path, text: str) -> None:
    """Write a report file whole or not at all; devices and pipes (`-o /dev/stdout`) are written to.

    A regular file is written beside the target and renamed over it, so a reader never sees half a
    report. Anything else that exists (a character device such as /dev/null, a FIFO) must not be
    replaced by a rename: it is opened and written like any stream.
    """
    if path.exists() and not path.is_file():
        with path.open("w", encoding="utf-8") as stream:
            stream.write(text)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
