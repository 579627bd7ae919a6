"""The paper's tables: mean |delta| per rank over each random matrix set."""

import sys

import pandas as pd

from lowrank.figures import paper_gap, paper_gap_table

sys.stderr = open(snakemake.log[0], "w")
table = paper_gap_table(pd.read_csv(snakemake.input[0]))
table.to_csv(snakemake.output.table, index=False)
paper_gap(table, snakemake.output.png.removesuffix(".png"))
