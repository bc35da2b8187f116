"""The HTML report as a file: its sections and numbers, escaping, Content-Security-Policy, size, and
that it names nothing outside itself (tests/test_html_browser.py opens it in a real browser)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from html_helpers import (
    CAPTURE,
    HOSTILE_HEADER,
    HOSTILE_OUTPUT,
    HOSTILE_TARGET,
    HOSTILE_TEMPLATE,
    hostile,
    json_of,
    large_report,
    report_of,
)

from buildprof.pipeline import ReportOptions, build
from buildprof.render import format_named, formats_for
from buildprof.render.escape import html_text, script_json, visible
from buildprof.render.html import TEMPLATES, render_html
from buildprof.render.html_page import MAX_ROWS
from buildprof.render.layout import format_ms

REPO = Path(__file__).resolve().parents[1]


class Page(HTMLParser):
    """What a page holds: every start tag with its attributes, the text of each script and style
    element, and the text of every `.nm` name, unescaped as a browser would."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.styles: list[str] = []
        self.names: list[str] = []
        self._open: list[tuple[str, dict]] = []
        self._text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag in ("script", "style") or (tag == "span" and attributes.get("class") == "nm"):
            self._open.append((tag, attributes))
            self._text = []

    def handle_endtag(self, tag):
        if self._open and self._open[-1][0] == tag:
            attributes = self._open.pop()[1]
            text = "".join(self._text)
            if tag == "script":
                self.scripts.append((attributes, text))
            elif tag == "style":
                self.styles.append(text)
            else:
                self.names.append(text)

    def handle_data(self, data):
        if self._open:
            self._text.append(data)

    def ids(self) -> list[str]:
        return [a["id"] for _, a in self.tags if a.get("id")]

    def attrs(self, tag: str, **match: str) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in match.items())]

    def payload(self) -> dict:
        """The JSON data the page's script reads."""
        return json.loads(next(t for a, t in self.scripts if a.get("type") == "application/json"))

    def code(self) -> list[str]:
        return [t for a, t in self.scripts if a.get("type") != "application/json"]


@pytest.fixture(scope="module")
def fixture_doc():
    return report_of(CAPTURE)


@pytest.fixture(scope="module")
def fixture_page(fixture_doc) -> tuple[str, Page]:
    html = render_html(fixture_doc)
    return html, Page(html)


def test_html_is_a_format_of_the_registry():
    fmt = format_named("html")
    assert not fmt.binary
    assert set(fmt.commands) == {"report", "headers", "templates", "functions"}
    assert formats_for("out/report.html")[0].name == "html"


def test_the_page_has_every_section_of_the_report(fixture_doc, fixture_page):
    html, page = fixture_page
    ids = page.ids()
    index = fixture_doc.builds[-1].index
    for section in (
        "summary",
        f"timeline-{index}",
        f"steps-{index}",
        "targets",
        "units",
        "headers",
        "templates",
        "functions",
        "inputs",
    ):
        assert section in ids, section
    for table in (
        "headers",
        "templates",
        "template-sets",
        "functions",
        "function-sets",
        "units",
        "breakdown",
        "compile-targets",
        f"targets-{index}",
        f"steps-{index}",
    ):
        assert page.attrs("table", id=f"t-{table}"), table
    assert html.count("<section ") == len(page.attrs("section"))


def test_summary_numbers_are_the_json_report_s(fixture_doc, fixture_page):
    _, page = fixture_page
    data = json_of(fixture_doc)
    summary, totals = data["builds"][-1]["summary"], data["traces"]["totals"]
    facts = {a["data-key"]: float(a["data-v"]) for a in page.attrs("div", **{"class": "fact"})}
    expected = {k: summary[k] for k in ("wall_ms", "busy_ms", "cpu_ms", "steps", "startup_ms", "parallelism")}
    expected |= {k: totals[k] for k in ("tus", "compile_ms", "frontend_ms", "backend_ms")}
    assert facts == pytest.approx(expected)
    assert summary["wall_ms"] == 7811 and totals["tus"] == 21  # the capture's numbers (fixtures/README.md)


def test_table_cells_carry_the_json_values(fixture_doc, fixture_page):
    html, _ = fixture_page
    headers = json_of(fixture_doc)["traces"]["headers"]
    body = html[html.index('id="t-headers"') : html.index("</table>", html.index('id="t-headers"'))]
    values = [float(v) for v in re.findall(r'<td class="num" data-v="([^"]+)">', body)]
    per_row = 5  # inclusive, self, count, TUs, average
    assert len(values) == per_row * len(headers)
    assert values[0::per_row] == [h["incl_ms"] for h in headers]
    assert values[2::per_row] == [h["count"] for h in headers]
    assert f">{format_ms(headers[0]['incl_ms'])}<" in body


def test_the_timeline_data_is_every_step_on_its_lane(fixture_doc, fixture_page):
    _, page = fixture_page
    line = page.payload()["timelines"][0]
    steps = fixture_doc.builds[-1].timeline.steps
    assert len(line["start"]) == len(steps) == fixture_doc.builds[-1].summary.steps == 28
    assert line["lanes"] == 2
    assert line["start"] == [s.start_ms for s in steps] and line["lane"] == [s.lane for s in steps]
    compiled = {u.step_output: u for u in fixture_doc.traces.compile_units}
    for k, output in enumerate(line["output"]):
        if output in compiled:
            assert line["frontend"][k] == pytest.approx(compiled[output].frontend_ms, abs=0.001)


def test_content_security_policy_allows_only_the_page_s_own_style_and_script(fixture_page):
    html, page = fixture_page
    metas = page.attrs("meta", **{"http-equiv": "Content-Security-Policy"})
    assert len(metas) == 1
    head = html[: html.index("</head>")]
    assert head.index("Content-Security-Policy") < head.index("<style>")  # before anything it governs
    policy = dict(d.strip().split(" ", 1) for d in metas[0]["content"].split(";"))
    assert policy["default-src"] == "'none'"
    code = page.code()
    assert len(code) == 1 and len(page.styles) == 1

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert policy["script-src"] == digest(code[0])
    assert policy["style-src"] == digest(page.styles[0])
    assert "unsafe" not in metas[0]["content"]
    assert not [a for _, a in page.tags if "style" in a]  # no inline style attribute (not allowed)
    assert not [a for _, a in page.tags if any(k.startswith("on") for k in a)]  # no inline handlers


def test_the_page_names_nothing_outside_itself(fixture_page):
    html, page = fixture_page
    assert not re.search(r"(?i)\b(?:https?|ftp|wss?):|//[a-z0-9.-]+\.[a-z]{2,}/", html)
    assert not re.search(r"(?i)url\(|@import", "".join(page.styles))
    for tag, attrs in page.tags:
        for key in ("src", "href", "action", "srcset", "poster", "data"):
            value = attrs.get(key)
            assert value is None or value.startswith(("#", "data:")), (tag, key, value)
    assert [a["href"] for a in page.attrs("link")] == ["data:,"]  # the favicon: no request for one


def test_hostile_names_are_text_everywhere(fixture_doc):
    html = render_html(hostile(fixture_doc))
    page = Page(html)
    assert len(page.scripts) == 2 and len(page.styles) == 1  # no name opened or closed an element
    assert not page.attrs("img") and not page.attrs("b")
    assert "<script>alert" not in html and "<img" not in html and "<!--<" not in html
    for name in (HOSTILE_TEMPLATE, HOSTILE_TARGET, HOSTILE_HEADER):
        assert visible(name) in page.names  # shown, as the text it is
    assert "\u202e" not in html and "\u2028" not in html and "\x1b" not in html  # made visible:
    assert "\\u202e" in html and "\\x1b" in html and "\\xff" in html  # as escapes that say what they are
    payload = page.payload()
    assert visible(HOSTILE_OUTPUT) in payload["timelines"][0]["output"]
    assert visible(HOSTILE_TARGET) in payload["timelines"][0]["targets"]


def test_script_json_cannot_end_its_element():
    text = json.dumps({"n": "</script><!--\u2028\u2029&<>"}, ensure_ascii=False)
    safe = script_json(text)
    assert not re.search(r"[<>&\u2028\u2029]", safe)
    assert json.loads(safe) == json.loads(text)


def test_html_text_escapes_markup_after_the_visible_rules():
    assert html_text('<a href="x">\x1b&\'') == "&lt;a href=&quot;x&quot;&gt;\\x1b&amp;&#39;"
    assert html_text("\udcff\u202e") == "\\xff\\u202e"


def test_the_critical_path_is_a_section_and_outlined_on_the_timeline(captures):
    doc = report_of(captures / "clang19-one-tu")
    path = json_of(doc)["critical_path"]
    assert [s["output"] for s in path["steps"]][-1] == "apps/microbench" and path["length_ms"] == 1188
    html = render_html(doc)
    page = Page(html)
    facts = {a["data-key"]: float(a["data-v"]) for a in page.attrs("div", **{"class": "fact"})}
    assert facts["length_ms"] == path["length_ms"] and facts["ideal_wall_ms"] == path["ideal_wall_ms"]
    body = html[
        html.index('id="t-critical-path"') : html.index("</table>", html.index('id="t-critical-path"'))
    ]
    assert [float(v) for v in re.findall(r'<td class="num" data-v="([^"]+)">', body)][2::3] == [
        s["drag_ms"] for s in path["steps"]
    ]
    line = page.payload()["timelines"][0]
    marked = {o: d for o, d in zip(line["output"], line["critical"], strict=True) if d is not None}
    assert marked == {s["output"]: s["drag_ms"] for s in path["steps"]}


def test_no_critical_path_section_without_build_ninja(fixture_doc, fixture_page):
    assert fixture_doc.critical_path is None
    assert "critical-path" not in fixture_page[1].ids()
    assert fixture_page[1].payload()["timelines"][0]["critical"] == [None] * 28


@pytest.mark.parametrize("command", ["headers", "templates", "functions"])
def test_listing_documents_have_their_page(command):
    doc = build(command, str(CAPTURE), ReportOptions(top=5, use_cache=False))
    html = render_html(doc)
    rows = getattr(doc, command).rows
    body = html[html.index(f'id="t-{command}"') : html.index("</table>", html.index(f'id="t-{command}"'))]
    assert body.count("<tr>") == len(rows) + 1 == 6
    counts = re.findall(r'<td class="num" data-v="([^"]+)">', body)
    assert float(counts[0]) == (rows[0].incl_ms if command != "functions" else rows[0].ms)


def test_a_3000_tu_report_is_capped_and_says_so(fixture_doc):
    doc = large_report(fixture_doc, 3000)
    html = render_html(doc)
    page = Page(html)
    assert len(html.encode()) < 3_000_000
    rows = html[html.index('id="t-templates"') : html.index("</table>", html.index('id="t-templates"'))]
    assert rows.count("<tr>") == MAX_ROWS + 1  # the header row, then the cap
    assert f"the first {MAX_ROWS} of 3,000 instantiations in the report are shown" in html
    assert len(page.payload()["timelines"][0]["start"]) == 3300  # every step: under the timeline's cap


def test_templates_are_package_data():
    """pip install . (not only editable) must carry every template, style sheet and script."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    globs = project["tool"]["setuptools"]["package-data"]["buildprof.render"]
    files = sorted(p.name for p in TEMPLATES.iterdir() if p.is_file())
    assert files and all(any(Path(f"templates/{f}").match(g) for g in globs) for f in files)


@pytest.mark.shared
def test_abseil_page_is_under_3_mb(abseil_build):
    doc = report_of(abseil_build, top=200)
    html = render_html(doc)
    assert len(html.encode()) < 3_000_000
    page = Page(html)
    summary = json_of(doc)["builds"][-1]["summary"]
    wall = next(a for a in page.attrs("div", **{"class": "fact"}) if a["data-key"] == "wall_ms")
    assert int(wall["data-v"]) == summary["wall_ms"] == 121730
