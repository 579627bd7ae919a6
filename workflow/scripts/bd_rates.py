"""BD-rates of every SVD factor format against every image codec, per image
and on the set's mean curves, and the figure of those curves."""

import sys
from pathlib import Path

import pandas as pd

from lowrank.evaluation.bdrate import bd_table, set_curves, set_images
from lowrank.evaluation.summary import read_csv
from lowrank.inputs.cards import kept
from lowrank.report.figures import rate_distortion

sys.stderr = open(snakemake.log[0], "w")
tables = [read_csv(path) for path in kept(snakemake.input.tables)]
table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
# A study of matrices alone has no codec rows: an empty table, and a figure
# without curves that the report leaves out.
min_side = snakemake.params.min_side
curves = (
    set_curves(table, min_side)
    if not table.empty
    else pd.DataFrame(columns=["method", "step", "bpp", "psnr", "input"])
)
bd_table(table, curves, min_side, snakemake.params.rate_range).to_csv(
    snakemake.output.table, index=False
)
curves.to_csv(snakemake.output.curves, index=False)
images = len(set_images(table, min_side)) if not table.empty else 0
rate_distortion(
    curves,
    f"mean over {images} images of at least {min_side} pixels a side (PSNR-RGB)",
    Path(snakemake.output.figure),
)
