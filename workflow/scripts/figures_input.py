"""Error against rank and the singular-value spectrum of one input."""

import sys

import pandas as pd

from lowrank.figures import error_versus_rank
from lowrank.records import read_record, read_svd

sys.stderr = open(snakemake.log[0], "w")
rows = []
for path in snakemake.input.records:
    record = read_record(path)
    rows.append({"method": record.method, "rank": record.rank, **record.metrics})
error_versus_rank(
    pd.DataFrame(rows),
    read_svd(snakemake.input.svd),
    snakemake.output.png.removesuffix(".png"),
)
