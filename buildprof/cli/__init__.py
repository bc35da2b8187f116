"""The `buildprof` command line: a click group; each command opens inputs, calls the library, renders.

Exit codes: 0 success, 2 usage or input error (message on stderr, no traceback), 1 internal error.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import NoReturn

import click

from buildprof import __version__
from buildprof.errors import BuildprofError


class BuildprofGroup(click.Group):
    """Turns library errors into one `Error: ...` line and exit code 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BuildprofError as exc:
            from buildprof.cli.options import CliError

            raise CliError(str(exc)) from None


@click.group(cls=BuildprofGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="buildprof")
def cli() -> None:
    """Where a C++ build spends its time, from what ninja and clang leave behind.

    \b
    Example, right after a build:
      buildprof report build/
    """


def _register() -> None:
    from buildprof.cli import report_cmd, trace_cmds

    cli.add_command(report_cmd.report)
    for command in (trace_cmds.headers, trace_cmds.templates, trace_cmds.functions, trace_cmds.why):
        cli.add_command(command)


_register()


def main() -> None:
    """Console-script entry point.

    It ends the process with os._exit once the output is flushed, as mypy does: a report holds
    thousands of trace summaries, and tearing them down object by object at interpreter exit
    costs a tenth of a second for nothing. Everything buildprof writes is complete (and its caches
    renamed into place) before the command returns.
    """
    try:
        cli.main(prog_name="buildprof")
    except SystemExit as stop:
        code = stop.code
    except BrokenPipeError:  # e.g. `buildprof report | head`
        sys.stderr.close()
        code = 0
    else:  # pragma: no cover  (click's standalone mode always ends with SystemExit)
        code = 0
    _hard_exit(code)


def _hard_exit(code: object) -> NoReturn:
    """Flush standard output and error, then leave without the interpreter's teardown."""
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BrokenPipeError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code or 0)
