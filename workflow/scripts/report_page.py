"""Write results/report/index.html, with the figures it shows beside it,
from the summary and the figures."""

import sys
from pathlib import Path

from lowrank.evaluation.summary import read_csv, read_table
from lowrank.methods import compared_methods
from lowrank.report.page import write_index
from lowrank.report.sections import study_sections

sys.stderr = open(snakemake.log[0], "w")
summary = read_table(snakemake.input.summary)
compared = summary[summary["method"].isin(compared_methods())]
evaluations = {key: rows for key, rows in compared.groupby(["input", "member"])}
sections, left_out = study_sections(snakemake.params.sections, evaluations)
set_curves = read_csv(snakemake.input.set_curves)
tables = [snakemake.input.bd_rates, snakemake.input.bd_rates_per_image]
write_index(
    Path(snakemake.output[0]) / "index.html",
    summary,
    read_csv(snakemake.input.paper_table),
    read_csv(snakemake.input.paper_comparison),
    Path(snakemake.input.paper_figure),
    sections,
    notes=[tuple(note) for note in snakemake.params.notes] + left_out,
    bd_rates=read_csv(snakemake.input.bd_rates),
    bd_rates_per_image=read_csv(snakemake.input.bd_rates_per_image),
    set_figure=Path(snakemake.input.set_figure) if not set_curves.empty else None,
    bd_tables=[Path(path) for path in tables],
)
