"""Find and version-check the external tools, and run commands while recording them.

The captures of ``capture_fixtures.py`` are only meaningful with the exact
tool versions they document, so every tool a capture needs is located and its
``--version`` checked before anything is built (only the tools of the
requested captures, so ``--only`` works on a host that lacks the others).
Every command a capture runs goes through :class:`Runner`, which records
argv, folder and result so that ``capture.json`` tells how the files were made.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEBIAN_NINJA = Path("/usr/bin/ninja")


class CaptureError(RuntimeError):
    """A tool is missing or a command failed; the message says which."""


# --------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Tool:
    """An external program with the version it reported."""

    name: str
    path: Path
    version: str
    version_output: str


#: Tools by name, as capture specs refer to them.
Tools = dict[str, Tool]

#: Names of the tools; every build capture also needs ``cmake``.
CLANG19, CLANG14, DEBIAN_NINJA_TOOL, PYPI_NINJA, CMAKE = (
    "clang++-19",
    "clang++-14",
    "debian ninja",
    "pypi ninja",
    "cmake",
)


def _version_output(argv: list[str]) -> str:
    """Run ``argv`` (a ``--version`` query) and return its stripped stdout."""
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise CaptureError(f"'{' '.join(argv)}' failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def _pypi_ninja_path() -> Path | None:
    """Return the binary of the PyPI ``ninja`` package, or None if absent.

    The plain ``ninja`` on PATH may be a pyenv shim (pointing at the PyPI
    binary) or Debian's, so the path is taken from the package itself.
    """
    try:
        import ninja  # type: ignore[import-not-found]
    except ImportError:
        return None
    path = Path(ninja.BIN_DIR) / "ninja"
    return path if path.is_file() and os.access(path, os.X_OK) else None


def find_tools(names: set[str]) -> Tools:
    """Locate and version-check the tools in ``names``; raise CaptureError listing problems.

    Only the named tools are looked for, so a partial capture (``--only``)
    does not require the tools of the other captures.
    """
    problems: list[str] = []
    found: Tools = {}

    def check(name: str, path: Path | None, expect: str, pattern: str) -> None:
        if path is None or not path.is_file() or not os.access(path, os.X_OK):
            problems.append(f"{name}: not found")
            return
        out = _version_output([str(path), "--version"])
        m = re.search(pattern, out)
        version = m.group(1) if m else out.splitlines()[0]
        if not version.startswith(expect):
            problems.append(f"{name} at {path}: version {version!r}, need {expect}.x")
            return
        found[name] = Tool(name, path, version, out)

    def which(cmd: str) -> Path | None:
        p = shutil.which(cmd)
        return Path(p) if p else None

    if CLANG19 in names:
        check(CLANG19, which("clang++-19"), "19", r"clang version (\S+)")
    if CLANG14 in names:
        check(CLANG14, which("clang++-14"), "14", r"clang version (\S+)")
    if DEBIAN_NINJA_TOOL in names:
        check(DEBIAN_NINJA_TOOL, DEBIAN_NINJA, "1.11", r"^(\S+)")
    if PYPI_NINJA in names:
        check(PYPI_NINJA, _pypi_ninja_path(), "1.13", r"^(\S+)")
    if CMAKE in names:
        check(CMAKE, which("cmake"), "3.", r"cmake version (\S+)")
    if problems:
        raise CaptureError(
            "missing or unexpected tools:\n  - "
            + "\n  - ".join(problems)
            + "\nOn Debian: apt-get update && apt-get install -y clang-19 clang-14 "
            "ninja-build cmake; and: pip install ninja  (PyPI ninja 1.13)"
        )
    return found


# --------------------------------------------------------------------------
# Running commands
# --------------------------------------------------------------------------


@dataclass
class Runner:
    """Runs commands and records each one (argv, cwd, env overrides, result)."""

    env_overrides: dict[str, str]
    log: list[dict[str, Any]] = field(default_factory=list)

    def run(self, argv: list[str], cwd: Path, purpose: str, stdout_file: Path | None = None) -> str:
        """Run ``argv`` in ``cwd``; return its stdout; raise on failure.

        If ``stdout_file`` is given, stdout is also written there unchanged.
        """
        env = dict(os.environ)
        env.update(self.env_overrides)
        t0 = time.monotonic()
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
        wall = time.monotonic() - t0
        self.log.append(
            {
                "purpose": purpose,
                "argv": argv,
                "cwd": str(cwd),
                "returncode": proc.returncode,
                "wall_s": round(wall, 3),
            }
        )
        if proc.returncode != 0:
            raise CaptureError(
                f"command failed ({proc.returncode}): {' '.join(argv)} in {cwd}\n"
                f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
            )
        if stdout_file is not None:
            stdout_file.write_text(proc.stdout)
        return proc.stdout
