"""Blocks for `why`: every way a header is included, who pays for it, and what touching it rebuilds."""

from __future__ import annotations

from buildprof.model.report import WhyDocument
from buildprof.render.graph_sections import graph_notes, rebuild_facts, rebuild_outputs
from buildprof.render.layout import Block, Column, Facts, Name, Table, format_ms
from buildprof.render.trace_sections import chain_text, codebase_note, input_blocks, path_shortener


def why_blocks(doc: WhyDocument) -> list[Block]:
    w = doc.why
    short = path_shortener(doc)
    facts = Facts(
        ("Why ", Name(short(w.file))),
        [
            ("inclusive", f"{format_ms(w.incl_ms)} of parsing, summed over {w.count} inclusions"),
            ("self", f"{format_ms(w.self_ms)} without what it includes"),
            ("TUs", f"{w.tus} of {w.tus_total} translation units' traces recorded it"),
            (
                "direct",
                "yes: some main files include it themselves"
                if w.direct
                else "no: only other headers include it",
            ),
        ],
    )
    chains = Table(
        f"Include chains ({len(w.chains)} of {w.chains_total}, most frequent first)",
        [Column("count"), Column("TUs"), Column("time"), Column("chain (outermost first)", "left", "path")],
        [
            [
                str(c.count),
                str(c.tus),
                format_ms(c.ms),
                chain_text([w.file, *c.files], short),
            ]
            for c in w.chains
        ],
    )
    by = Table(
        "Included directly by",
        [Column("count"), Column("time"), Column("file", "left", "path")],
        [
            [
                str(r.count),
                format_ms(r.incl_ms),
                Name(short(r.file)) if r.file else "(a main file)",
            ]
            for r in w.included_by
        ],
    )
    tus = Table(
        "Translation units that pay most",
        [Column("time"), Column("count"), Column("target", "left", "name"), Column("trace", "left", "path")],
        [[format_ms(r.incl_ms), str(r.count), Name(r.target), Name(r.trace)] for r in w.paying_tus],
    )
    targets = Table(
        "Targets that pay",
        [Column("time"), Column("TUs"), Column("target", "left", "name")],
        [[format_ms(r.incl_ms), str(r.tus), Name(r.target)] for r in w.paying_targets],
    )
    includes = Table(
        "What it includes that is expensive",
        [Column("time"), Column("count"), Column("file", "left", "path")],
        [[format_ms(r.incl_ms), str(r.count), Name(short(r.file))] for r in w.includes],
    )
    rebuild = [rebuild_facts(doc.rebuild, doc.churn), *rebuild_outputs(doc.rebuild)] if doc.rebuild else []
    graph = graph_notes(doc.graph_notes, doc.churn)
    return [
        *input_blocks(doc),
        codebase_note(doc),
        facts,
        *rebuild,
        chains,
        by,
        tus,
        targets,
        includes,
        *graph,
    ]


WHY_SECTIONS = {WhyDocument: why_blocks}
