"""The `buildprof` command line: a click group; each command opens inputs, calls the library, renders.

Exit codes: 0 success, 2 usage or input error (message on stderr, no traceback), 1 internal error.
"""

from __future__ import annotations

import sys

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
    """Console-script entry point."""
    try:
        cli.main(prog_name="buildprof")
    except BrokenPipeError:  # e.g. `buildprof report | head`
        sys.stderr.close()
        sys.exit(0)
