"""The `buildprof` command line: a click group; each command opens inputs, calls the library, renders.

Exit codes: 0 success, 1 a regression (`ci` only), 2 an error: usage, input, store, or internal (a bug;
one `Error: ...` line on stderr, no traceback), 130 interrupted (Ctrl-C). A reader that closes the pipe
early (`| head`) ends the process silently, as it does any Unix tool (SIGPIPE).
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
from typing import NoReturn

import click

from buildprof import __version__
from buildprof.cli.output import OutputClosed, write_stderr
from buildprof.errors import BuildprofError
from buildprof.render.escape import visible

DEBUG_ENV = "BUILDPROF_DEBUG"  # set to show the traceback of an internal error
EXIT_INTERRUPTED = 130


# Where each command is defined (a module's tuple of click commands): a command's module is imported
# only when it runs, or when `--help` lists them all, so `buildprof trace` does not build the options
# of twelve other commands first (0.015 s). tests/test_cli_lazy_commands.py keeps this table complete.
COMMAND_MODULES: dict[str, tuple[str, str]] = {
    **dict.fromkeys(
        ("report", "headers", "templates", "functions", "why", "critical-path", "what-if"),
        ("buildprof.cli.commands", "COMMANDS"),
    ),
    "trace": ("buildprof.cli.trace_commands", "TRACE_COMMANDS"),
    **dict.fromkeys(("record", "history", "trend"), ("buildprof.cli.history_commands", "HISTORY_COMMANDS")),
    **dict.fromkeys(("compare", "ci"), ("buildprof.cli.change_commands", "CHANGE_COMMANDS")),
}


class BuildprofGroup(click.Group):
    """Loads each command when it is asked for (COMMAND_MODULES); turns library errors into one
    `Error: ...` line and exit code 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            import importlib

            module, name = COMMAND_MODULES[cmd_name]
            for command in getattr(importlib.import_module(module), name):
                self.add_command(command)
        return self.commands.get(cmd_name)

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


def main() -> None:
    """Console-script entry point: run the command, then end without the interpreter's teardown.

    It ends the process with os._exit once the output is flushed, as mypy does: a report holds
    thousands of trace summaries, and tearing them down object by object at interpreter exit
    costs a tenth of a second for nothing. Everything buildprof writes is complete (and its caches
    renamed into place) before the command returns.

    Ctrl-C after the command returned has nothing left to stop (its output is written whole): it is
    ignored while the process flushes and ends, instead of raising KeyboardInterrupt outside run().
    """
    try:
        code = run(sys.argv[1:])
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except KeyboardInterrupt:  # in the instant between the command's end and the line above
        write_stderr("Interrupted.\n")
        code = EXIT_INTERRUPTED
    _hard_exit(code)


def run(args: list[str]) -> int:
    """Run the command line `args` and return the exit code; every failure is one line on stderr."""
    try:
        result = cli.main(args=args, prog_name="buildprof", standalone_mode=False)
    except click.ClickException as exc:
        buffer = io.StringIO()
        exc.show(file=buffer)
        write_stderr(buffer.getvalue())
        return exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        write_stderr("Interrupted.\n")
        return EXIT_INTERRUPTED
    except (OutputClosed, BrokenPipeError):
        _die_of_sigpipe()
    except OSError as exc:  # the surroundings, not a bug: a full disk under click's own output (--help)
        where = f"{visible(str(exc.filename))}: " if exc.filename else ""
        write_stderr(f"Error: {where}{exc.strerror or exc}\n")
        return 2
    except Exception as exc:  # a bug: say so in one line (the traceback on request)
        if os.environ.get(DEBUG_ENV):
            import traceback

            write_stderr(traceback.format_exc())
        write_stderr(
            f"Error: internal error, a bug in buildprof ({type(exc).__name__}: {exc}); please report it "
            f"(set {DEBUG_ENV}=1 for the traceback)\n"
        )
        return 2  # an error, never 1: `ci` exits 1 for a regression only
    return result if isinstance(result, int) else 0


def _die_of_sigpipe() -> NoReturn:
    """End as a Unix tool does when its reader has gone: killed by SIGPIPE, nothing printed."""
    with contextlib.suppress(OSError):  # nothing more may reach the closed pipe
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGPIPE)
    os._exit(128 + signal.SIGPIPE)  # pragma: no cover  (the signal ends the process first)


def _hard_exit(code: int) -> NoReturn:
    """Flush standard output and error, then leave without the interpreter's teardown."""
    try:
        if sys.stdout is not None:  # None: the process was started with stdout closed
            sys.stdout.flush()
    except BrokenPipeError:
        _die_of_sigpipe()
    except (OSError, ValueError) as exc:  # what click itself printed (help, version) did not fit
        write_stderr(f"Error: cannot write to standard output: {getattr(exc, 'strerror', exc)}\n")
        code = code or 2
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.flush()
    os._exit(code)
