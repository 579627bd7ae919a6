"""Write results/report/index.html, with the figures it shows beside it,
from the summary and the figures."""

import sys
from pathlib import Path

from lowrank.evaluation.summary import read_csv, read_table
from lowrank.methods import compared_methods
from lowrank.report.findings import rate_distortion_facts
from lowrank.report.page import InputSection, write_index

sys.stderr = open(snakemake.log[0], "w")
summary = read_table(snakemake.input.summary)
compared = summary[summary["method"].isin(compared_methods())]
evaluations = {key: rows for key, rows in compared.groupby(["input", "member"])}
sections = []
for spec in snakemake.params.sections:
    rd_table = spec["rate_distortion"]
    sections.append(
        InputSection(
            name=spec["name"],
            kind=spec["kind"],
            shape=tuple(spec["shape"]),
            errors_figure=Path(spec["errors"]),
            rate_distortion_figure=(
                Path(spec["errors"]).with_name("rate_distortion.svg")
                if rd_table
                else None
            ),
            rate_distortion_text=(
                rate_distortion_facts(read_csv(rd_table)) if rd_table else ""
            ),
            ranks=[(rank, Path(p), Path(t)) for rank, p, t in spec["ranks"]],
            views=Path(spec["views"]),
            evaluation=evaluations[(spec["rows"]["input"], spec["rows"]["member"])],
        )
    )
set_curves = read_csv(snakemake.input.set_curves)
write_index(
    Path(snakemake.output[0]) / "index.html",
    summary,
    read_csv(snakemake.input.paper_table),
    read_csv(snakemake.input.paper_comparison),
    Path(snakemake.input.paper_figure),
    sections,
    notes=[tuple(note) for note in snakemake.params.notes],
    bd_rates=read_csv(snakemake.input.bd_rates),
    set_curves=set_curves,
    set_figure=Path(snakemake.input.set_figure) if not set_curves.empty else None,
)
