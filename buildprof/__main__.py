"""`python -m buildprof` runs the command-line interface."""

from buildprof.cli import main

if __name__ == "__main__":
    main()
