"""Read one image file into a study input matrix."""

import sys

from lowrank.images import load_image
from lowrank.records import InputMatrix, write_matrix

sys.stderr = open(snakemake.log[0], "w")
path, stem = snakemake.input[0], snakemake.wildcards.input
matrix = load_image(
    path, mode=snakemake.params.mode, max_pixels=snakemake.params.max_pixels
)
write_matrix(
    snakemake.output[0],
    InputMatrix(matrix, input=stem, kind="image", source=path, set=stem),
)
