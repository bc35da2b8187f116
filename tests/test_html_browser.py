"""The HTML report in a real browser: Debian's chromium, driven by playwright (never a downloaded
browser). The page is served at one URL and every other request is refused and recorded: none may
happen. Skipped, with the reason, without chromium or playwright, unless BUILDPROF_REQUIRE_BROWSER=1
(CI), which makes that a failure. Screenshots go to BUILDPROF_SCREENSHOTS (default
/tmp/buildprof-screenshots); BUILDPROF_UPDATE_SCREENSHOT=1 also writes README's image of abseil.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import msgspec
import pytest
from html_helpers import (
    CAPTURE,
    HOSTILE_OUTPUT,
    HOSTILE_TEMPLATE,
    hostile,
    json_of,
    large_report,
    report_of,
)

from buildprof.pipeline import ReportOptions, build
from buildprof.render.escape import visible
from buildprof.render.html import render_html
from buildprof.render.html_page import MAX_ROWS
from buildprof.render.layout import format_ms

REQUIRE = os.environ.get("BUILDPROF_REQUIRE_BROWSER") == "1"
CHROMIUM = Path(os.environ.get("BUILDPROF_CHROMIUM", "/usr/bin/chromium"))
SHOTS = Path(os.environ.get("BUILDPROF_SCREENSHOTS", "/tmp/buildprof-screenshots"))
README_IMAGE = Path(__file__).resolve().parents[1] / "docs" / "images" / "report-abseil.png"
URL = "http://buildprof.test/report.html"


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if not CHROMIUM.is_file():
        return f"no chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser():
    why = _missing()
    if why is not None:
        if REQUIRE:
            pytest.fail(f"BUILDPROF_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Opened:
    """A page of the report in the browser, with what it logged, asked for and tried to pop up."""

    def __init__(self, browser, html: str, scheme: str, width: int) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on(
            "console", lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None
        )
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", lambda route: self._serve(route, html))
        started = time.perf_counter()
        self.page.goto(URL)
        self.page.wait_for_function("window.buildprofReport !== undefined")
        self.load_seconds = time.perf_counter() - started

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    @staticmethod
    def _serve(route, html: str) -> None:
        if route.request.url == URL:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
        else:
            route.abort()

    def clean(self) -> None:
        """Nothing logged, nothing fetched but the page, no dialog."""
        assert self.errors == []
        assert self.requests == [URL]
        assert self.dialogs == []

    def column(self, table: str, col: int, attr: str | None = "data-v") -> list:
        """A table's visible column: data-v numbers, or the cells' shown text (attr=None)."""
        return self.page.eval_on_selector_all(
            f"#t-{table} tbody tr:not([hidden])",
            "(rows, [col, attr]) => rows.map(r => attr ? parseFloat(r.cells[col].getAttribute(attr))"
            " : (r.cells[col].querySelector('.nm') || r.cells[col]).textContent.trim())",
            [col, attr],
        )

    def shot(self, name: str, selector: str | None = None) -> Path:
        """A screenshot; caret="initial": hiding the caret would inject a style the page's policy refuses."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        if selector:
            self.page.locator(selector).screenshot(path=str(path), caret="initial")
        else:
            self.page.screenshot(path=str(path), caret="initial")
        return path


@pytest.fixture()
def open_page(browser):
    opened: list[Opened] = []

    def open_(html: str, scheme: str = "light", width: int = 1300) -> Opened:
        opened.append(Opened(browser, html, scheme, width))
        return opened[-1]

    yield open_
    for o in opened:
        o.context.close()


@pytest.fixture(scope="module")
def fixture_doc():
    return report_of(CAPTURE)


def _check_report_page(o: Opened, doc) -> None:
    """Sections, numbers as in the JSON report, timeline drawn with every step, hover, zoom."""
    data = json_of(doc)
    build = data["builds"][-1]
    page = o.page
    for section in (
        "summary",
        f"timeline-{build['index']}",
        "targets",
        "units",
        "headers",
        "templates",
        "functions",
        "inputs",
    ):
        assert page.locator(f"section#{section}").is_visible(), section
    for key, value in build["summary"].items():
        fact = page.locator(f'.fact[data-key="{key}"]')
        if fact.count():
            assert float(fact.get_attribute("data-v")) == pytest.approx(value), key
            if key.endswith("_ms"):
                assert fact.locator(".value").inner_text() == format_ms(value)
    headers = data["traces"]["headers"]
    assert o.column("headers", 1) == [h["incl_ms"] for h in headers]
    assert page.locator("#t-headers tbody tr").count() == len(headers)
    units = data["traces"]["compile_units"]
    assert o.column("units", 2) == [u["total_ms"] for u in units]
    # the timeline: every step, drawn; hovering a step tells its numbers
    tl = page.evaluate("window.buildprofReport.timelines[0].steps")
    assert tl == build["summary"]["steps"] == len(build["timeline"]["steps"])
    drawn = page.evaluate(
        "(() => { const c = document.querySelector('.timeline canvas');"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; })()"
    )
    assert drawn > 1000
    step = max(
        range(len(build["timeline"]["steps"])),
        key=lambda k: build["timeline"]["steps"][k]["end_ms"] - build["timeline"]["steps"][k]["start_ms"],
    )
    at = page.evaluate(f"window.buildprofReport.timelines[0].locate({step})")
    page.mouse.move(at["x"], at["y"])
    tip = page.locator(".timeline .tl-tip")
    assert tip.is_visible()
    s = build["timeline"]["steps"][step]
    text = tip.inner_text()
    assert visible(s["output"]) in text
    assert format_ms(s["end_ms"] - s["start_ms"]) in text and format_ms(s["weighted_ms"]) in text
    if s["frontend_ms"] is not None:
        assert format_ms(s["frontend_ms"]) in text and format_ms(s["backend_ms"]) in text
    path = data.get("critical_path")
    if path is not None:  # its steps are outlined, and say their drag
        on = next(
            k for k, t in enumerate(build["timeline"]["steps"]) if t["output"] == path["steps"][0]["output"]
        )
        at = page.evaluate(f"window.buildprofReport.timelines[0].locate({on})")
        page.mouse.move(at["x"], at["y"])
        assert f"drag {format_ms(path['steps'][0]['drag_ms'])}" in tip.inner_text()
    whole = page.evaluate("window.buildprofReport.timelines[0].view()")
    page.locator(".timeline button[data-act=in]").click()
    zoomed = page.evaluate("window.buildprofReport.timelines[0].view()")
    assert zoomed[1] - zoomed[0] == pytest.approx((whole[1] - whole[0]) / 2)
    page.locator(".timeline button[data-act=reset]").click()
    assert page.evaluate("window.buildprofReport.timelines[0].view()") == whole


def test_the_fixture_report_renders_with_the_json_numbers(open_page, fixture_doc):
    o = open_page(render_html(fixture_doc))
    _check_report_page(o, fixture_doc)
    o.shot("fixture-light")
    o.shot("fixture-timeline-light", ".timeline")
    o.clean()


def test_dark_scheme(open_page, fixture_doc):
    o = open_page(render_html(fixture_doc), scheme="dark")
    background = o.page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(13, 17, 23)"
    o.shot("fixture-dark")
    o.clean()
    light = open_page(render_html(fixture_doc), scheme="light")
    assert light.page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"


def test_tables_sort_by_every_column(open_page, fixture_doc):
    o = open_page(render_html(fixture_doc))
    headers = json_of(fixture_doc)["traces"]["headers"]
    buttons = o.page.locator("#t-headers thead th button")
    for col, field in enumerate(["file", "incl_ms", "self_ms", "count", "tus", "avg_ms"]):
        buttons.nth(col).click()
        th = o.page.locator("#t-headers thead th").nth(col)
        if field == "file":
            assert th.get_attribute("aria-sort") == "ascending"
            shown = o.column("headers", col, None)
            assert sorted(shown, key=str.lower) == shown
            assert len(shown) == len(headers)
        else:
            assert th.get_attribute("aria-sort") == "descending"  # numbers: largest first
            assert o.column("headers", col) == sorted((h[field] for h in headers), reverse=True)
            buttons.nth(col).click()
            assert th.get_attribute("aria-sort") == "ascending"
            assert o.column("headers", col) == sorted(h[field] for h in headers)
    o.clean()


def test_tables_filter_by_text(open_page, fixture_doc):
    o = open_page(render_html(fixture_doc))
    functions = json_of(fixture_doc)["traces"]["functions"]
    word = "regex"
    expected = [f["ms"] for f in functions if word in f["name"].lower() or word in f["file"].lower()]
    assert 0 < len(expected) < len(functions)
    o.page.locator('input.filter[data-table="t-functions"]').fill(word.upper())
    assert o.column("functions", 2) == expected
    assert o.page.locator('.count[data-table="t-functions"]').inner_text() == (
        f"{len(expected)} of {len(functions)} rows"
    )
    o.page.locator('input.filter[data-table="t-functions"]').fill("")
    assert len(o.column("functions", 2)) == len(functions)
    o.clean()


def test_long_names_do_not_widen_the_page(open_page, fixture_doc):
    o = open_page(render_html(fixture_doc), width=900)
    assert o.page.evaluate("document.documentElement.scrollWidth") <= 900
    name = o.page.locator("#t-templates tbody tr .nm").first
    clamped = name.bounding_box()["height"]
    name.click()
    assert name.bounding_box()["height"] >= clamped  # a click shows it whole
    o.clean()


def test_hostile_names_render_as_text(open_page, fixture_doc):
    doc = hostile(fixture_doc)
    o = open_page(render_html(doc))
    assert o.page.evaluate("document.scripts.length") == 2
    assert o.page.locator("img, b").count() == 0
    assert visible(HOSTILE_TEMPLATE) in o.column("templates", 0, None)
    steps = doc.builds[-1].timeline.steps
    k = next(i for i, s in enumerate(steps) if s.output == HOSTILE_OUTPUT)
    at = o.page.evaluate(f"window.buildprofReport.timelines[0].locate({k})")
    o.page.mouse.move(at["x"], at["y"])
    assert visible(HOSTILE_OUTPUT) in o.page.locator(".timeline .tl-tip").inner_text()
    o.shot("hostile-templates", "#block-templates")
    o.clean()  # and no alert() ran


def test_every_build_has_its_timeline(open_page):
    doc = build("report", str(CAPTURE), ReportOptions(all_builds=True, use_cache=False))
    o = open_page(render_html(doc))
    assert [b.index for b in doc.builds] == [0, 1]
    for k, b in enumerate(doc.builds):
        assert o.page.locator(f"section#timeline-{b.index}").is_visible()
        assert o.page.evaluate(f"window.buildprofReport.timelines[{k}].steps") == b.summary.steps
        assert float(
            o.page.locator(f"#t-steps-{b.index} tbody tr td.num").nth(0).get_attribute("data-v")
        ) == (b.slowest_steps[0].duration_ms)
    o.clean()


@pytest.mark.parametrize("keep", ["log", "traces"])
def test_a_log_alone_or_traces_alone_make_a_page(open_page, tmp_path, keep):
    """Without traces: no compile-time sections; without a log: no timeline; no error either way."""
    if keep == "log":
        (tmp_path / ".ninja_log").write_bytes((CAPTURE / "ninja_log.clean").read_bytes())
    else:
        shutil.copytree(CAPTURE / "core", tmp_path / "core")
    doc = build("report", str(tmp_path), ReportOptions(use_cache=False))
    o = open_page(render_html(doc))
    sections = o.page.eval_on_selector_all("section", "s => s.map(e => e.id)")
    if keep == "log":
        assert sections == ["summary", "timeline-0", "steps-0", "targets", "inputs"]
        assert o.page.evaluate("window.buildprofReport.timelines[0].steps") == doc.builds[0].summary.steps
    else:
        assert sections == ["summary", "targets", "units", "headers", "templates", "functions", "inputs"]
        assert o.page.evaluate("window.buildprofReport.timelines.length") == 0
        assert o.column("units", 2) == [u.total_ms for u in doc.traces.compile_units]
    o.clean()


def test_a_3000_tu_report_opens(open_page, fixture_doc):
    o = open_page(render_html(large_report(fixture_doc, 3000)))
    assert o.page.locator("#t-templates tbody tr").count() == MAX_ROWS
    assert o.page.evaluate("window.buildprofReport.timelines[0].steps") == 3300
    print(f"3,000-TU page: opened and drawn in {o.load_seconds:.2f} s")  # measured, never asserted
    o.clean()


@pytest.mark.shared
def test_the_abseil_report_in_chromium(open_page, abseil_build):
    doc = report_of(abseil_build, top=50)
    html = render_html(doc)
    for scheme in ("light", "dark"):
        o = open_page(html, scheme=scheme)
        _check_report_page(o, doc)
        o.page.mouse.move(0, 0)
        o.page.locator(".timeline button[data-act=in]").click()
        o.page.locator(".timeline button[data-act=reset]").click()
        o.shot(f"abseil-{scheme}")
        o.shot(f"abseil-timeline-{scheme}", ".timeline")
        o.clean()
        print(f"abseil page ({len(html.encode()):,} bytes): opened in {o.load_seconds:.2f} s")
    if os.environ.get("BUILDPROF_UPDATE_SCREENSHOT") == "1":  # README's image: the top, a step hovered
        o = open_page(render_html(msgspec.structs.replace(doc, build_dir="abseil-build")), width=1200)
        o.page.set_viewport_size({"width": 1200, "height": 720})
        steps = doc.builds[-1].timeline.steps
        longest = max(range(len(steps)), key=lambda k: steps[k].end_ms - steps[k].start_ms)
        at = o.page.evaluate(f"window.buildprofReport.timelines[0].locate({longest})")
        o.page.mouse.move(at["x"], at["y"])
        o.page.screenshot(path=str(README_IMAGE), caret="initial")
