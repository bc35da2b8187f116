"""The HTML report: one self-contained page (CSS, script, data and charts inlined) that works offline.

Drawn with Jinja2 (autoescaping on) from templates/, whose `name` filter passes every name through
render.escape.html_text (the other renderers' rules, then HTML escaping). The timeline's data is JSON
in a `<script type="application/json">` element, escaped by render.escape.script_json so that no name
can close it. A Content-Security-Policy meta tag forbids every load: the one style sheet and the one
script are allowed by their SHA-256 hashes, nothing else runs and nothing is fetched (no inline
`style` attributes, no external URL anywhere).
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from pathlib import Path

from buildprof.model.report import Document, ReportDocument, command_of
from buildprof.render import RenderOptions
from buildprof.render.escape import html_text, script_json

TEMPLATES = Path(__file__).parent / "templates"
TITLES = {"report": "Build report", "headers": "Headers", "templates": "Templates", "functions": "Functions"}


def render(doc: Document, options: RenderOptions) -> str:
    """The registry's entry point (buildprof.render.FORMATS); a page has no width."""
    return render_html(doc)


def render_html(doc: Document) -> str:
    """The whole page for a report, headers, templates or functions document."""
    import msgspec

    from buildprof.render.html_notes import listing_sections, notes_section, timeline_payload
    from buildprof.render.html_sections import report_sections

    command = command_of(doc)
    if command not in TITLES:
        raise ValueError(f"the HTML report draws {', '.join(TITLES)} documents, not {command!r}")
    sections = report_sections(doc) if isinstance(doc, ReportDocument) else listing_sections(doc)
    payload, timeline_cut = timeline_payload(doc)
    tables = [t for s in sections for t in s.tables]
    sections.append(notes_section(doc, tables, timeline_cut))
    style, script = _asset("report.css"), _asset("report.js")
    data = script_json(msgspec.json.encode(payload).decode("utf-8"))
    policy = "; ".join(
        (
            "default-src 'none'",
            f"script-src '{_sha256(script)}'",
            f"style-src '{_sha256(style)}'",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )
    return (
        _environment()
        .get_template("page.html.j2")
        .render(
            title=TITLES[command],
            doc=doc,
            sections=sections,
            policy=policy,
            style=style,
            script=script,
            data=data,
        )
    )


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


@cache
def _asset(name: str) -> str:
    """A style sheet or script of ours, inlined whole (so it must not be able to end its element)."""
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    if "</" in text or "<!--" in text:
        raise ValueError(f"{name} must not contain '</' or '<!--': it is inlined into the page")
    return text


@cache
def _environment():
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["name"] = lambda text: Markup(html_text(str(text)))
    env.filters["inline"] = Markup  # our own style and script (see _asset), the escaped JSON data
    return env
