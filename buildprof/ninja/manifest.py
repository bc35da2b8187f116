"""Read the build statements of `build.ninja` (and the files it includes): output -> rule and target.

Only what classifying a step needs is read: each build statement's outputs (explicit and implicit),
its rule name and CMake's `OBJECT_DIR` binding (which names the target of a link or archive step).
Paths are expanded as ninja does (`$$`, `$ `, `$:` escapes and `$var` / `${var}` references to
file-level variables), because CMake writes implicit outputs such as
`${cmake_ninja_workdir}engine/opcodes_gen.h`, and ninja logs them expanded. `include` shares the
including file's variables, `subninja` sees a copy of them; included files are read where they are
included, and one that cannot be read is skipped (classification then falls back to file names).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from buildprof.errors import InputError
from buildprof.files import read_regular, why_unusable
from buildprof.model.ninja import BuildStatement, NinjaManifest

_INCLUDE = re.compile(r"^(include|subninja)\s+(\S.*?)\s*$")
_VARIABLE = re.compile(r"^([A-Za-z0-9_.-]+)\s*=\s?(.*)$")
_BINDING = re.compile(r"^\s+(OBJECT_DIR)\s*=\s*(.*?)\s*$")
_SIMPLE_NAME = re.compile(r"[A-Za-z0-9_-]+")
_MAX_FILES = 10_000
_MAX_DEPTH = 64  # includes within includes
MAX_VALUE = 1 << 20  # characters of an expanded variable or path: more is damage (a value doubled
# again and again), and the rest is cut so that reading stays linear


def read_ninja_manifest(build_dir: str | Path, name: str = "build.ninja") -> NinjaManifest | None:
    """Read `build_dir/build.ninja` and the files it includes; None when there is no manifest."""
    build_dir = Path(build_dir)
    top = build_dir / name
    if why_unusable(top) is not None:
        return None
    manifest = NinjaManifest(path=str(top))
    try:
        text = read_regular(top).decode("utf-8", "surrogateescape")
    except OSError as exc:
        raise InputError(f"cannot read ninja manifest: {exc.strerror}", top) from None
    _Reader(manifest, build_dir, top).parse(text, {})
    return manifest


class _Reader:
    """Parses manifest files into one NinjaManifest, following include and subninja."""

    def __init__(self, manifest: NinjaManifest, build_dir: Path, top: Path):
        """Read into `manifest`; include paths are relative to `build_dir`, as for ninja."""
        self.manifest = manifest
        self.build_dir = build_dir
        self.files_read = 1
        self.reading = [top.resolve()]  # the files being parsed, outermost first: an include cycle
        # or a runaway depth is skipped (ninja itself would recurse without end)

    def parse(self, text: str, scope: dict[str, str]) -> None:
        """Add the build statements of one file; `scope` holds (and receives) its variables."""
        current: BuildStatement | None = None
        for line in _logical_lines(text):
            if line.startswith("build "):
                outputs, rule = split_build_line(line[6:], scope)
                current = BuildStatement(rule=rule)
                for output in outputs:
                    self.manifest.by_output.setdefault(output, current)
                continue
            if line[:1] in (" ", "\t"):
                binding = _BINDING.match(line) if current is not None else None
                if binding and current is not None:
                    current.object_dir = expand(binding.group(2), scope)
                continue
            current = None
            include = _INCLUDE.match(line)
            if include:
                self._include(expand(include.group(2), scope), scope, include.group(1) == "subninja")
                continue
            variable = _VARIABLE.match(line)
            if variable and not line.startswith(("rule ", "pool ", "default ")):
                scope[variable.group(1)] = expand(variable.group(2), scope)

    def _include(self, name: str, scope: dict[str, str], subninja: bool) -> None:
        """Parse an included file in the including file's scope (a copy of it for subninja)."""
        path = self.build_dir / name
        if self.files_read >= _MAX_FILES:
            return
        if path.resolve() in self.reading or len(self.reading) >= _MAX_DEPTH:
            why = (
                "includes itself (an include cycle)"
                if path.resolve() in self.reading
                else "is nested too deep"
            )
            self.manifest.skipped_files.append((str(path), f"{why}: skipped"))
            return
        try:
            text = read_regular(path).decode("utf-8", "surrogateescape")
        except OSError as exc:
            why = why_unusable(path) or f"cannot be read ({exc.strerror})"
            self.manifest.skipped_files.append((str(path), f"{why}: skipped"))
            return
        self.files_read += 1
        self.reading.append(path.resolve())
        try:
            self.parse(text, dict(scope) if subninja else scope)
        finally:
            self.reading.pop()


def _logical_lines(text: str) -> Iterator[str]:
    """Yield lines with `$`-newline continuations joined, comments and blank lines dropped."""
    pending = ""
    for raw in text.split("\n"):
        line = raw.rstrip("\r")
        if pending:
            line = pending + line.lstrip()
            pending = ""
        trailing = len(line) - len(line.rstrip("$"))
        if trailing % 2:  # an odd run of `$` at the end escapes the newline
            pending = line[:-1]
            continue
        stripped = line.lstrip()
        if stripped and not stripped.startswith("#"):
            yield line


def split_build_line(rest: str, scope: dict[str, str] | None = None) -> tuple[list[str], str]:
    """Split `out1 out2 | implicit: rule inputs` into expanded outputs (explicit and implicit), rule."""
    scope = scope or {}
    outputs: list[str] = []
    token: list[str] = []
    i, n = 0, len(rest)
    while i < n:
        ch = rest[i]
        if ch == "$" and i + 1 < n:
            text, i = _dollar(rest, i, scope)
            token.append(text)
            continue
        if ch == ":":
            break
        if ch == " ":
            if token:
                outputs.append("".join(token))
                token = []
        else:
            token.append(ch)
        i += 1
    if token:
        outputs.append("".join(token))
    after = rest[i + 1 :].split(None, 1) if i < n else []
    return [o for o in outputs if o not in ("|", "|@")], after[0] if after else ""


def expand(value: str, scope: dict[str, str]) -> str:
    """A variable value or path with ninja's escapes and variable references resolved."""
    if "$" not in value:
        return value
    out: list[str] = []
    size = 0
    i = 0
    while i < len(value) and size < MAX_VALUE:
        if value[i] == "$" and i + 1 < len(value):
            text, i = _dollar(value, i, scope)
        else:
            text = value[i]
            i += 1
        out.append(text)
        size += len(text)
    return "".join(out)[:MAX_VALUE]


def _dollar(text: str, i: int, scope: dict[str, str]) -> tuple[str, int]:
    """The meaning of the `$` sequence at text[i] and the index after it."""
    following = text[i + 1]
    if following in " :$":
        return following, i + 2
    if following == "{":
        close = text.find("}", i + 2)
        if close > 0:
            return scope.get(text[i + 2 : close], ""), close + 1
    name = _SIMPLE_NAME.match(text, i + 1)
    if name:
        return scope.get(name.group(0), ""), name.end()
    return "$" + following, i + 2
