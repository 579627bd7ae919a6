"""Bits per pixel against PSNR for SVD factor formats and JPEG, one image."""

# Not niced, unlike the evaluations: with five measures at every point, an
# image's codec sweep is a chain as long as its trainings
# (`docs/performance.md`).
import sys
from pathlib import Path

import pandas as pd

from lowrank.evaluation.codecs import rate_distortion_ranks, rate_distortion_rows
from lowrank.records import read_matrix, read_svd
from lowrank.report.figures import rate_distortion

sys.stderr = open(snakemake.log[0], "w")
item = read_matrix(snakemake.input.matrix)
ranks = rate_distortion_ranks(item.matrix.shape[1:], snakemake.params.ranks)
rows = rate_distortion_rows(
    item.matrix,
    read_svd(snakemake.input.svd),
    ranks,
    snakemake.params.qualities,
    threads=snakemake.threads,
)
table = pd.DataFrame(rows)
table.insert(0, "input", item.input)
table.to_csv(snakemake.output.table, index=False)
rate_distortion(
    table,
    f"{item.input}: rate and distortion",
    Path(snakemake.output.figure),
)
