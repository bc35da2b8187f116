"""Read the build statements of `build.ninja` (and the files it includes): output -> rule and target.

Only what classifying a step needs is read: each build statement's outputs, its rule name and CMake's
`OBJECT_DIR` binding (which names the target of a link or archive step). Variables are not expanded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from buildprof.errors import InputError

_INCLUDE = re.compile(r"^(?:include|subninja)\s+(\S.*?)\s*$")
_BINDING = re.compile(r"^\s+(OBJECT_DIR|TARGET_FILE)\s*=\s*(.*?)\s*$")
_MAX_FILES = 10_000


@dataclass
class BuildStatement:
    """One `build` line: the rule and the bindings buildprof uses."""

    rule: str
    object_dir: str = ""


@dataclass
class NinjaManifest:
    """Build statements by output path, as written in the manifest (paths relative to the build dir)."""

    path: str
    by_output: dict[str, BuildStatement] = field(default_factory=dict)


def read_ninja_manifest(build_dir: str | Path, name: str = "build.ninja") -> NinjaManifest | None:
    """Read `build_dir/build.ninja` and the files it includes; None when there is no manifest."""
    build_dir = Path(build_dir)
    top = build_dir / name
    if not top.is_file():
        return None
    manifest = NinjaManifest(path=str(top))
    pending, seen = [top], set()
    while pending and len(seen) < _MAX_FILES:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        try:
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
        except OSError as exc:
            raise InputError(f"cannot read ninja manifest: {exc.strerror}", path) from None
        pending.extend(_parse_manifest_text(text, manifest.by_output, build_dir))
    return manifest


def _parse_manifest_text(text: str, by_output: dict[str, BuildStatement], build_dir: Path) -> list[Path]:
    """Add the build statements of one manifest file; return the files it includes."""
    includes: list[Path] = []
    current: BuildStatement | None = None
    for line in _logical_lines(text):
        if line.startswith("build "):
            outputs, rule = _split_build_line(line[6:])
            current = BuildStatement(rule=rule)
            for output in outputs:
                by_output.setdefault(output, current)
            continue
        if current is not None and line[:1] in (" ", "\t"):
            binding = _BINDING.match(line)
            if binding and binding.group(1) == "OBJECT_DIR":
                current.object_dir = _unescape(binding.group(2))
            continue
        current = None
        include = _INCLUDE.match(line)
        if include:
            includes.append(build_dir / _unescape(include.group(1)))
    return includes


def _logical_lines(text: str):
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


def _split_build_line(rest: str) -> tuple[list[str], str]:
    """Split `out1 out2 | implicit: rule inputs` into outputs (explicit and implicit) and the rule."""
    outputs: list[str] = []
    token: list[str] = []
    i, n = 0, len(rest)
    while i < n:
        ch = rest[i]
        if ch == "$" and i + 1 < n:
            token.append(rest[i + 1] if rest[i + 1] in " :$" else ch + rest[i + 1])
            i += 2
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
    rule = rest[i + 1 :].split(None, 1)[0] if i < n and rest[i + 1 :].strip() else ""
    return [o for o in outputs if o != "|"], rule


def _unescape(value: str) -> str:
    return value.replace("$ ", " ").replace("$:", ":").replace("$$", "$")
