"""Bits per pixel against PSNR for SVD factor formats and JPEG, one image."""

import sys

import pandas as pd

from lowrank.codecs import rate_distortion_ranks, rate_distortion_rows
from lowrank.figures import rate_distortion
from lowrank.records import read_matrix, read_svd

sys.stderr = open(snakemake.log[0], "w")
item = read_matrix(snakemake.input.matrix)
ranks = rate_distortion_ranks(item.matrix.shape[1:], snakemake.params.ranks)
rows = rate_distortion_rows(
    item.matrix, read_svd(snakemake.input.svd), ranks, snakemake.params.qualities
)
table = pd.DataFrame(rows)
table.insert(0, "input", item.input)
table.to_csv(snakemake.output.table, index=False)
rate_distortion(
    table,
    f"{item.input}: rate and distortion",
    snakemake.output.png.removesuffix(".png"),
)
