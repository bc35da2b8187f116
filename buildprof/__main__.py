"""`python -m buildprof` and the `buildprof` console script: the command line, Ctrl-C safe from the start.

Until the command line is loaded (importing click, the renderers...), Ctrl-C ends the process at once
with exit code 130 and one line, instead of a traceback from the middle of an import: nothing has been
started or written yet. From then on Ctrl-C is a KeyboardInterrupt that the CLI handles (buildprof.cli).
"""

import os
import signal


def _interrupted_while_starting(signum, frame) -> None:
    os.write(2, b"Interrupted.\n")
    os._exit(130)


signal.signal(signal.SIGINT, _interrupted_while_starting)


def main() -> None:
    """Load the command line, then run it with the usual KeyboardInterrupt on Ctrl-C."""
    from buildprof.cli import main as run_cli

    signal.signal(signal.SIGINT, signal.default_int_handler)
    run_cli()


if __name__ == "__main__":
    main()
