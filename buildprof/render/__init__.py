"""Renderers: report document in, text out. Chosen by name or guessed from an output file's suffix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

FORMATS = ("terminal", "markdown", "json")
_SUFFIXES = {".txt": "terminal", ".md": "markdown", ".markdown": "markdown", ".json": "json"}

Renderer = Callable[..., str]  # render(doc, width=None) -> text


def guess_format(path: str | Path) -> str | None:
    """The format an output file's suffix asks for, or None when the suffix says nothing."""
    return _SUFFIXES.get(Path(path).suffix.lower())


def get_renderer(name: str) -> Renderer:
    """The render function for a format name (imported on demand to keep start-up fast)."""
    if name == "terminal":
        from buildprof.render.terminal import render_terminal

        return render_terminal
    if name == "markdown":
        from buildprof.render.markdown import render_markdown

        return render_markdown
    if name == "json":
        from buildprof.render.json import render_json

        return render_json
    raise ValueError(f"unknown format {name!r}; choose one of {', '.join(FORMATS)}")
