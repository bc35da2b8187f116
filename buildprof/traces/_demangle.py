"""Demangle C++ symbol names with LLVM's tools: llvm-cxxfilt (Itanium) and llvm-undname (Microsoft).

Clang writes `OptFunction` names mangled. ClangBuildAnalyzer demangles them with LLVM's demangler; the
same demangler ships as command-line tools with every LLVM/clang install, so buildprof runs them once
per report over all distinct names (no Python reimplementation). Without the tools names stay mangled
and `demangler_status` says why.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterable

_VERSIONS = [""] + [f"-{v}" for v in range(22, 9, -1)]
_ITANIUM_PREFIXES = ("_Z", "__Z", "___Z", "____Z")


@functools.cache  # a report asks for the tools' status and for demangling: search PATH once
def _find(tool: str, fallback: str | None = None) -> str | None:
    for suffix in _VERSIONS:
        found = shutil.which(tool + suffix)
        if found:
            return found
    return shutil.which(fallback) if fallback else None


def demangler_status() -> str:
    """Which tools will be used, for the report's notes."""
    itanium = _find("llvm-cxxfilt", "c++filt")
    microsoft = _find("llvm-undname")
    return f"itanium: {itanium or 'none (names stay mangled)'}; microsoft: {microsoft or 'none'}"


def demangle_names(names: Iterable[str]) -> dict[str, str]:
    """Demangled form of each mangled name (names that are not mangled, or fail, map to themselves)."""
    unique = sorted({n for n in names if n and "\n" not in n})
    itanium = [n for n in unique if n.startswith(_ITANIUM_PREFIXES)]
    microsoft = [n for n in unique if n.startswith("?")]
    result: dict[str, str] = {}
    if itanium:
        result.update(_run_filter(_find("llvm-cxxfilt", "c++filt"), itanium))
    if microsoft:
        result.update(_run_undname(_find("llvm-undname"), microsoft))
    return result


def demangle_in_background(names: Iterable[str]) -> Callable[[], dict[str, str]]:
    """`demangle_names` in a thread, so that the tools run beside what the caller does next (on a
    core that would wait otherwise); call the result to wait for the names."""
    listed = list(names)
    outcome: dict[str, dict[str, str] | BaseException] = {}

    def work() -> None:
        try:
            outcome["names"] = demangle_names(listed)
        except BaseException as exc:  # raised again in the caller's thread
            outcome["names"] = exc

    thread = threading.Thread(target=work, name="buildprof-demangle", daemon=True)
    thread.start()

    def result() -> dict[str, str]:
        thread.join()
        names = outcome["names"]
        if isinstance(names, BaseException):
            raise names
        return names

    return result


def _run(tool: str | None, names: list[str]) -> str | None:
    if tool is None:
        return None
    try:
        done = subprocess.run(
            [tool],
            input="\n".join(names) + "\n",
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout


def _run_filter(tool: str | None, names: list[str]) -> dict[str, str]:
    """llvm-cxxfilt / c++filt: one output line per input line."""
    out = _run(tool, names)
    if out is None:
        return {}
    lines = out.split("\n")
    if len(lines) < len(names):
        return {}
    return {name: line or name for name, line in zip(names, lines, strict=False)}


def _run_undname(tool: str | None, names: list[str]) -> dict[str, str]:
    """llvm-undname echoes each input, then the result if it could demangle, then a blank line."""
    out = _run(tool, names)
    if out is None:
        return {}
    result: dict[str, str] = {}
    for block in out.split("\n\n"):
        lines = block.strip("\n").split("\n")
        if len(lines) == 2 and lines[0] in names:
            result[lines[0]] = lines[1]
    return result
