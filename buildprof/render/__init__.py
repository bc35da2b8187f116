"""Output formats as plug-ins: each declares its name, file suffixes, whether it is binary, and which
commands' documents it can draw; `--format` choices, suffix guessing and refusing binary output to a
terminal all come from this one registry.

A format's module has a `render(doc, options) -> str | bytes` function; it is imported only when
used, so that `buildprof --help` stays instant. Adding a format is one module and one line in FORMATS.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from buildprof.model.report import Document

EVERY_COMMAND = (
    "report",
    "headers",
    "templates",
    "functions",
    "why",
    "critical-path",
    "what-if",
    "record",
    "history",
    "trend",
    "compare",
    "ci",
)


class RenderOptions(msgspec.Struct, frozen=True):
    """How to draw: the terminal's width in columns (None: the format's own default)."""

    width: int | None = None


Render = Callable[["Document", RenderOptions], "str | bytes"]


class Format(msgspec.Struct, frozen=True):
    """An output format: how it is named and chosen, and where its renderer lives."""

    name: str
    suffixes: tuple[str, ...]  # file suffixes that choose it (the first format listing one wins)
    binary: bool  # bytes, never written to a terminal
    commands: tuple[str, ...]  # the commands whose documents it can draw
    module: str  # buildprof.render.<module>.render
    summary: str

    def renderer(self) -> Render:
        """The format's render function (its module imported now)."""
        return importlib.import_module(f"buildprof.render.{self.module}").render


FORMATS: tuple[Format, ...] = (
    Format("terminal", (".txt",), False, EVERY_COMMAND, "terminal", "aligned text for a terminal"),
    Format("markdown", (".md", ".markdown"), False, EVERY_COMMAND, "markdown", "Markdown for CI and PRs"),
    Format("json", (".json",), False, EVERY_COMMAND, "json", "the document itself (docs/formats.md)"),
    Format("cba", (".txt",), False, ("report",), "cba", "ClangBuildAnalyzer's --analyze text"),
    Format("png", (".png",), True, ("trend",), "png", "a trend chart as a PNG image"),
    Format("svg", (".svg",), False, ("trend",), "svg", "a trend chart as SVG"),
    Format(
        "html",
        (".html", ".htm"),
        False,
        ("report", "headers", "templates", "functions"),
        "html",
        "a self-contained page: timeline, sortable tables (opens offline)",
    ),
)
FORMAT_NAMES = tuple(f.name for f in FORMATS)


def format_named(name: str) -> Format:
    """The format called `name`; ValueError for an unknown one."""
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt
    raise ValueError(f"unknown format {name!r}; choose one of {', '.join(FORMAT_NAMES)}")


def formats_for(path: str | Path) -> tuple[Format, ...]:
    """The formats a file's suffix can mean, the one it chooses first (none: the suffix says nothing)."""
    suffix = Path(path).suffix.lower()
    return tuple(fmt for fmt in FORMATS if suffix in fmt.suffixes)
