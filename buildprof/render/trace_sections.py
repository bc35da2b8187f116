"""Blocks for the trace parts of documents: compile units, targets, headers, templates, functions, why."""

from __future__ import annotations

from buildprof.render.layout import Block, Column, Facts, Notes, Table, capped, format_count, format_ms

MAX_DAMAGED_SHOWN = 10


def path_shortener(doc: dict):
    """A function showing paths under the project's source root relative to it (JSON keeps them whole)."""
    root = (doc.get("trace_input") or {}).get("source_root", "")

    def short(path: str) -> str:
        return path[len(root) + 1 :] if root and path.startswith(root + "/") else path

    return short


def _same(path: str) -> str:
    return path


Shorten = type(_same)


def input_blocks(doc: dict) -> list[Block]:
    """What was read: traces, cache use, other JSON skipped, damaged traces (one line each)."""
    facts = doc["trace_input"]
    blocks: list[Block] = []
    if facts["damaged"]:
        shown = facts["damaged"][:MAX_DAMAGED_SHOWN]
        lines = capped([f"{d['path']}: {d['message']}" for d in shown], len(facts["damaged"]))
        blocks.append(Notes(f"Skipped {len(facts['damaged'])} damaged trace(s)", lines))
    return blocks


def _source_line(facts: dict) -> str:
    parts = [f"{format_count(facts['traces'])} traces under {facts['root']}"]
    parts.append(f"{facts['parsed']} read, {facts['cached']} from cache")
    if facts["other_json"]:
        parts.append(f"{facts['other_json']} other JSON files ignored")
    return "; ".join(parts)


def report_trace_blocks(doc: dict) -> list[Block]:
    short = path_shortener(doc)
    blocks = input_blocks(doc)
    traces = doc.get("traces")
    if not traces:
        return blocks
    totals = traces["totals"]
    blocks.append(
        Facts(
            "Compile time (clang -ftime-trace)",
            [
                ("traces", _source_line(doc["trace_input"])),
                ("sources", doc["trace_input"].get("source_root") or "(not named by the traces)"),
                ("compile time", f"{format_ms(totals['compile_ms'])} summed over {totals['tus']} TUs"),
                ("frontend", f"{format_ms(totals['frontend_ms'])} (parsing, templates)"),
                ("backend", f"{format_ms(totals['backend_ms'])} (optimisation, code generation)"),
            ],
        )
    )
    blocks.append(unit_table(traces["compile_units"]))
    blocks.append(target_table(traces["targets"]))
    blocks.append(breakdown_table(traces["breakdown"]))
    blocks.append(header_table("Expensive headers", traces["headers"], short=short))
    blocks.append(chain_notes(traces["headers"], short))
    blocks.append(template_table("Templates that took longest to instantiate", traces["templates"]))
    blocks.append(template_set_table(traces["template_sets"]))
    blocks.append(function_table(traces["functions"], short=short))
    blocks.append(function_set_table(traces["function_sets"]))
    return blocks


def unit_table(rows: list[dict]) -> Table:
    columns = [
        Column("total"),
        Column("frontend"),
        Column("backend"),
        Column("weighted"),
        Column("target", "left", "name"),
        Column("trace", "left", "path"),
    ]
    cells = [
        [
            format_ms(r["total_ms"]),
            format_ms(r["frontend_ms"]),
            format_ms(r["backend_ms"]),
            format_ms(r["weighted_ms"]),
            r["target"],
            r["trace"],
        ]
        for r in rows
    ]
    note = "total = clang's ExecuteCompiler; weighted = the ninja step's share of wall time (if found)."
    return Table("Slowest translation units", columns, cells, note=note)


def target_table(rows: list[dict]) -> Table:
    columns = [
        Column("target", "left", "name"),
        Column("TUs"),
        Column("compile"),
        Column("frontend"),
        Column("backend"),
        Column("weighted"),
    ]
    cells = [
        [
            r["target"],
            str(r["tus"]),
            format_ms(r["total_ms"]),
            format_ms(r["frontend_ms"]),
            format_ms(r["backend_ms"]),
            format_ms(r["weighted_ms"]),
        ]
        for r in rows
    ]
    return Table("Targets by compile time", columns, cells)


def breakdown_table(rows: list[dict]) -> Table:
    columns = [Column("event", "left", "name"), Column("self time"), Column("share")]
    cells = [[r["event"], format_ms(r["self_ms"]), f"{100 * r['share']:.1f}%"] for r in rows]
    note = (
        "Self time of each kind of trace event over all TUs (nested events subtracted); shares sum to 100%."
    )
    return Table("Where compile time goes", columns, cells, note=note)


def _chain_text(files: list[str], short: Shorten = _same) -> str:
    """`(main file) > a.h > b.h`: outermost first."""
    return " > ".join(["(main file)", *(short(f) for f in reversed(files))])


def _cost_table(
    title: str, rows: list[dict], label: Column, labels: list[str], note: str, footer: str
) -> Table:
    """Inclusive, self, count, TUs and average of each row, then its label (a file or a name)."""
    columns = [Column("inclusive"), Column("self"), Column("count"), Column("TUs"), Column("avg"), label]
    cells = [
        [
            format_ms(r["incl_ms"]),
            format_ms(r["self_ms"]),
            str(r["count"]),
            str(r["tus"]),
            format_ms(r["avg_ms"]),
            text,
        ]
        for r, text in zip(rows, labels, strict=True)
    ]
    return Table(title, columns, cells, note=note, footer=footer)


def header_table(title: str, rows: list[dict], footer: str = "", short: Shorten = _same) -> Table:
    note = (
        "inclusive = parse time with everything it includes, summed over every inclusion; "
        "self = without the files it includes. `buildprof why FILE` shows every chain."
    )
    labels = [short(r["file"]) for r in rows]
    return _cost_table(title, rows, Column("file", "left", "path"), labels, note, footer)


def chain_notes(rows: list[dict], short: Shorten = _same, limit: int = 10) -> Notes:
    """The most common include chain of each of the first files listed."""
    lines = [
        f"{r['chains'][0]['count']}x {_chain_text([r['file'], *r['chains'][0]['files']], short)}"
        for r in rows[:limit]
        if r["chains"]
    ]
    return Notes("Most common include chain of each", lines, shrink="middle")


def template_table(title: str, rows: list[dict], footer: str = "") -> Table:
    note = "inclusive counts nested instantiations in their parents too; self does not."
    labels = [r["name"] for r in rows]
    return _cost_table(title, rows, Column("name", "left", "name"), labels, note, footer)


def template_set_table(rows: list[dict]) -> Table:
    columns = [Column("time"), Column("self"), Column("count"), Column("TUs"), Column("set", "left", "name")]
    cells = [
        [format_ms(r["incl_ms"]), format_ms(r["self_ms"]), str(r["count"]), str(r["tus"]), r["set"]]
        for r in rows
    ]
    note = "Arguments collapsed to <$>; an instantiation nested in one of the same set is not counted twice."
    return Table("Template sets that took longest to instantiate", columns, cells, note=note)


def function_table(rows: list[dict], footer: str = "", short: Shorten = _same) -> Table:
    columns = [
        Column("time"),
        Column("count"),
        Column("TUs"),
        Column("function", "left", "name"),
        Column("module", "left", "path"),
    ]
    cells = [[format_ms(r["ms"]), str(r["count"]), str(r["tus"]), r["name"], short(r["file"])] for r in rows]
    note = "Optimisation and code generation time per function (OptFunction events), demangled."
    return Table("Functions that took longest to compile", columns, cells, note=note, footer=footer)


def function_set_table(rows: list[dict]) -> Table:
    columns = [Column("time"), Column("count"), Column("set", "left", "name")]
    cells = [[format_ms(r["ms"]), str(r["count"]), r["set"]] for r in rows]
    return Table("Function sets that took longest to compile", columns, cells)


def _sort_label(sort: str) -> str:
    return {"inclusive": "inclusive time", "self": "self time", "count": "count", "tus": "TUs"}[sort]


def _listing_footer(listing: dict) -> str:
    shown = len(listing["rows"])
    what = f" matching {listing['match']!r}" if listing["match"] else ""
    return f"{shown} of {listing['matched']}{what}, by {listing['sort']} (raise --top for more)"


def headers_blocks(doc: dict) -> list[Block]:
    listing = doc["headers"]
    title = f"Included files by {_sort_label(listing['sort'])}"
    short = path_shortener(doc)
    table = header_table(title, listing["rows"], _listing_footer(listing), short=short)
    return [*input_blocks(doc), table, chain_notes(listing["rows"], short)]


def templates_blocks(doc: dict) -> list[Block]:
    listing = doc["templates"]
    table = template_table(
        f"Template instantiations by {_sort_label(listing['sort'])}",
        listing["rows"],
        _listing_footer(listing),
    )
    blocks: list[Block] = [*input_blocks(doc), table]
    paying = [
        f"{r['name'][:60]}: "
        + ", ".join(f"{t['trace'].rsplit('/', 1)[-1]} ({format_ms(t['ms'])})" for t in r["top_tus"])
        for r in listing["rows"][:10]
    ]
    if paying:
        blocks.append(Notes("Which TUs pay most (top 3 each)", paying))
    return blocks


def functions_blocks(doc: dict) -> list[Block]:
    listing = doc["functions"]
    table = function_table(listing["rows"], _listing_footer(listing), short=path_shortener(doc))
    return [*input_blocks(doc), table]


def why_blocks(doc: dict) -> list[Block]:
    w = doc["why"]
    short = path_shortener(doc)
    facts = Facts(
        f"Why {w['file']}",
        [
            ("inclusive", f"{format_ms(w['incl_ms'])} of parsing, summed over {w['count']} inclusions"),
            ("self", f"{format_ms(w['self_ms'])} without what it includes"),
            ("TUs", f"{w['tus']} of {w['tus_total']} translation units include it"),
            (
                "direct",
                "yes: some main files include it themselves"
                if w["direct"]
                else "no: only other headers include it",
            ),
        ],
    )
    chains = Table(
        f"Include chains ({len(w['chains'])} of {w['chains_total']}, most frequent first)",
        [Column("count"), Column("TUs"), Column("time"), Column("chain (outermost first)", "left", "path")],
        [
            [
                str(c["count"]),
                str(c["tus"]),
                format_ms(c["ms"]),
                _chain_text([w["file"], *c["files"]], short),
            ]
            for c in w["chains"]
        ],
    )
    by = Table(
        "Included directly by",
        [Column("count"), Column("time"), Column("file", "left", "path")],
        [
            [str(r["count"]), format_ms(r["incl_ms"]), short(r["file"]) if r["file"] else "(a main file)"]
            for r in w["included_by"]
        ],
    )
    tus = Table(
        "Translation units that pay most",
        [Column("time"), Column("count"), Column("target", "left", "name"), Column("trace", "left", "path")],
        [[format_ms(r["incl_ms"]), str(r["count"]), r["target"], r["trace"]] for r in w["paying_tus"]],
    )
    targets = Table(
        "Targets that pay",
        [Column("time"), Column("TUs"), Column("target", "left", "name")],
        [[format_ms(r["incl_ms"]), str(r["tus"]), r["target"]] for r in w["paying_targets"]],
    )
    includes = Table(
        "What it includes that is expensive",
        [Column("time"), Column("count"), Column("file", "left", "path")],
        [[format_ms(r["incl_ms"]), str(r["count"]), short(r["file"])] for r in w["includes"]],
    )
    return [*input_blocks(doc), facts, chains, by, tus, targets, includes]
