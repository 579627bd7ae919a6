"""The paper's tables: mean |delta| per rank over each random matrix set, and
every published number beside the study's."""

import sys
from pathlib import Path

from lowrank.evaluation.summary import read_table
from lowrank.report.paper import comparison_table, paper_gap_table, published_gaps
from lowrank.report.paper_figure import paper_gap

sys.stderr = open(snakemake.log[0], "w")
summary = read_table(snakemake.input.summary)
published = published_gaps(Path(snakemake.input.published))
table = paper_gap_table(summary)
table.to_csv(snakemake.output.table, index=False)
comparison_table(summary, published).to_csv(snakemake.output.comparison, index=False)
paper_gap(table, published, snakemake.output.png.removesuffix(".png"))
