"""Bits per pixel against PSNR for SVD factor formats and JPEG, one image."""

import os

# Off the training chain, the study's critical path: the trainings get the
# CPU first where they share it (`docs/design.md`, "The pipeline"). Set before
# the imports, which cost a second of CPU themselves.
os.nice(10)

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from lowrank.evaluation.codecs import rate_distortion_ranks, rate_distortion_rows  # noqa: E402
from lowrank.evaluation.subspace_codecs import subspace_codecs  # noqa: E402
from lowrank.inputs.cards import left_out_reason, write_left_out  # noqa: E402
from lowrank.records import (  # noqa: E402
    network_record_path,
    read_matrix,
    read_record,
    read_svd,
)
from lowrank.report.figures import left_out_figure, rate_distortion  # noqa: E402

sys.stderr = open(snakemake.log[0], "w")
reason = left_out_reason(snakemake.input.matrix, snakemake.params.ranks)
if reason is not None:
    write_left_out(snakemake.output.table)
    left_out_figure(snakemake.output.figure, reason)
    sys.exit(0)
item = read_matrix(snakemake.input.matrix)
ranks = rate_distortion_ranks(
    item.matrix.shape[1:], snakemake.params.ranks, channels=item.matrix.shape[0]
)
decompositions = read_svd(snakemake.input.svd)
# In a block layout, each method's subspace at the input's highest rank, coded.
top = max(snakemake.params.ranks)
records = [read_record(network_record_path(f, top)) for f in snakemake.input.networks]
rows = rate_distortion_rows(
    item.matrix,
    decompositions,
    ranks,
    snakemake.params.qualities,
    threads=snakemake.threads,
    mode=item.mode,
    layout=(item.layout, item.picture_shape),
    codecs=subspace_codecs(item, decompositions, records),
)
table = pd.DataFrame(rows)
table.insert(0, "input", item.input)
table.to_csv(snakemake.output.table, index=False)
rate_distortion(
    table,
    f"{item.input}: rate and distortion",
    Path(snakemake.output.figure),
)
