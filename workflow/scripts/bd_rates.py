"""BD-rate and BD-PSNR of every SVD factor format against every image codec."""

import sys

import pandas as pd

from lowrank.evaluation.bdrate import bd_table
from lowrank.evaluation.summary import read_csv

sys.stderr = open(snakemake.log[0], "w")
tables = [read_csv(path) for path in snakemake.input.tables]
table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
bd_table(table).to_csv(snakemake.output[0], index=False)
