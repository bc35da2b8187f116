"""The Markdown report as a CommonMark / GitHub renderer reads it (markdown-it-py with GFM tables).

Checked on the rendered HTML, not on our text: tables are <table>s with one cell per column in every
row, no name opens a tag or breaks a row, long tables fold into <details> with a table inside, and a
huge report stays under a comment's 65,000 characters and says what it cut.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import msgspec
import pytest

from buildprof.model.report import TemplatesDocument
from buildprof.render.markdown import LIMIT, SHOWN_ROWS, cap_markdown, render_markdown

markdown_it = pytest.importorskip("markdown_it")

HOSTILE = (
    'std::vector<int, X<"</script><script>alert(1)</script>">>',
    "a|b||c | d",
    "tick`s``and```more",
    "new\nline\r\nand\ttab",
    "<img src=x onerror=alert(1)>",
    "\\|escaped pipe\\",
    "**bold** _it_ [link](http://x) #h ~s~",
)


def to_html(markdown: str) -> str:
    return markdown_it.MarkdownIt("commonmark").enable("table").render(markdown)


class Tables(HTMLParser):
    """Every <table> of a page: per table, the number of cells of each row; and every tag seen."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[int]] = []
        self.tags: list[str] = []  # inside tables
        self.in_table = 0
        self.in_details = 0
        self.tables_in_details = 0

    def handle_starttag(self, tag, attrs):
        if self.in_table:
            self.tags.append(tag)
        if tag == "details":
            self.in_details += 1
        elif tag == "table":
            self.in_table += 1
            self.tables.append([])
            self.tables_in_details += self.in_details > 0
        elif tag == "tr":
            self.tables[-1].append(0)
        elif tag in ("td", "th"):
            self.tables[-1][-1] += 1

    def handle_endtag(self, tag):
        if tag == "details":
            self.in_details -= 1
        elif tag == "table":
            self.in_table -= 1


def parse(html: str) -> Tables:
    found = Tables()
    found.feed(html)
    return found


def templates_document(run_cli, captures, rows: int, names=HOSTILE) -> TemplatesDocument:
    """The real templates document of a capture, its rows repeated (with hostile names) to `rows`."""
    result = run_cli("templates", captures / "clang19-ninja1.11", "--format", "json", "--top", "5")
    doc = msgspec.json.decode(result.stdout.encode(), type=TemplatesDocument)
    model = doc.templates.rows[0]
    doc.templates.rows = [
        msgspec.structs.replace(model, name=f"{names[k % len(names)]} #{k}", incl_ms=float(rows - k))
        for k in range(rows)
    ]
    doc.templates.matched = rows
    return doc


def test_tables_fold_into_details_and_render_with_their_rows(run_cli, captures):
    doc = templates_document(run_cli, captures, 40)
    markdown = render_markdown(doc)
    html = to_html(markdown)
    found = parse(html)
    assert len(found.tables) == 2 and found.tables_in_details == 1
    columns = found.tables[0][0]
    assert found.tables[0] == [columns] * (SHOWN_ROWS + 1)  # the header row, then the first rows
    assert found.tables[1] == [columns] * (40 - SHOWN_ROWS + 1)
    assert f"<summary>{40 - SHOWN_ROWS} more rows</summary>" in html
    assert "script" not in found.tags and "img" not in found.tags
    assert "cut to fit" not in markdown


def test_hostile_names_are_text_in_every_cell(run_cli, captures):
    doc = templates_document(run_cli, captures, len(HOSTILE))
    html = to_html(render_markdown(doc))
    found = parse(html)
    assert found.tables == [[found.tables[0][0]] * (len(HOSTILE) + 1)]
    assert {"script", "img", "strong", "em", "a", "h1", "s", "del"}.isdisjoint(found.tags)
    codes = re.findall(r"<code>(.*?)</code>", html, re.DOTALL)
    assert (
        "std::vector&lt;int, X&lt;&quot;&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&gt; #0"
        in codes
    )
    assert "a|b||c | d #1" in codes and "tick`s``and```more #2" in codes
    assert "new\\nline\\r\\nand\\ttab #3" in codes  # control characters shown as escapes, one line


def test_a_huge_report_stays_under_the_limit_and_says_what_it_cut(run_cli, captures):
    doc = templates_document(run_cli, captures, 50_000)
    markdown = render_markdown(doc)
    assert len(markdown) <= LIMIT
    html = to_html(markdown)
    found = parse(html)
    columns = found.tables[0][0]
    kept = sum(len(t) - 1 for t in found.tables if t[0] == columns)
    assert 100 < kept < 50_000
    assert all(set(t) == {columns} for t in found.tables)
    cut = re.search(r"([\d,]+) more rows cut to fit a 65,000-character comment", markdown)
    assert cut is not None and int(cut.group(1).replace(",", "")) + kept == 50_000
    assert html.count("<details>") == html.count("</details>") == found.tables_in_details == 1


def test_cap_markdown_closes_an_open_details_block():
    rows = "".join(f"| {k} | {'x' * 50} |\n" for k in range(5000))
    markdown = f"# t\n\n<details>\n<summary>many</summary>\n\n| a | b |\n|---:|:---|\n{rows}\n</details>\n"
    capped = cap_markdown(markdown, 10_000)
    assert len(capped) <= 10_000 and capped.endswith("whole report)_\n")
    html = to_html(capped)
    found = parse(html)
    assert html.count("<details>") == html.count("</details>") == 1 and found.tables_in_details == 1
    assert cap_markdown("short\n", 10) == "short\n"


@pytest.mark.shared
def test_abseil_report_with_every_trace(run_cli, abseil_build):
    result = run_cli("report", abseil_build, "--all-traces", "--top", "100000", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    markdown = result.stdout
    assert len(markdown) <= LIMIT
    full = json.loads(
        run_cli("report", abseil_build, "--all-traces", "--top", "100000", "--format", "json").stdout
    )
    assert len(full["traces"]["headers"]) > 500  # so the Markdown had to cut
    html = to_html(markdown)
    found = parse(html)
    assert len(found.tables) > 5 and all(len(set(t)) == 1 for t in found.tables)
    assert "cut to fit a 65,000-character comment" in markdown
    assert html.count("<details>") == html.count("</details>") == found.tables_in_details > 0
