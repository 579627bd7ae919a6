"""Build one member of a study-matrix set."""

import json
import sys

from lowrank.matrices import build_members
from lowrank.records import InputMatrix, write_matrix

sys.stderr = open(snakemake.log[0], "w")
spec = dict(snakemake.params.spec)
set_name, member = spec.pop("set"), spec.pop("member")
matrix = build_members(set_name, spec)[member]
write_matrix(
    snakemake.output[0],
    InputMatrix(
        matrix[None],
        input=snakemake.wildcards.input,
        kind=spec["family"],
        source=json.dumps(spec, sort_keys=True),
        set=set_name,
        member=member,
    ),
)
