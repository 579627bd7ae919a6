import os
import sys
from pathlib import Path

from snakemake.utils import validate

from lowrank.provenance import source_digest
from lowrank.study import plan_study

# Jobs (local, conda or cluster) import lowrank from this checkout; an
# existing PYTHONPATH is kept behind it.
REPO_ROOT = Path(workflow.current_basedir).resolve().parents[1]
os.environ.update(
    PYTHONPATH=os.pathsep.join(
        [str(REPO_ROOT), *filter(None, os.getenv("PYTHONPATH", "").split(os.pathsep))]
    )
)

validate(config, workflow.source_path("../schemas/config.schema.yaml"))


wildcard_constraints:
    input=r"[^/]+",
    rank=r"[0-9]+",
    regime=r"paper|exact",
    method=r"svd|nn-paper|nn-exact",


def print_warning(message, category):
    # Snakemake 9's logger is silent while the Snakefile is parsed (#3558),
    # and it swallows Python warnings.
    print(f"lowrank {category.__name__}: {message}", file=sys.stderr)


STUDY = {
    item.name: item
    for item in plan_study(
        config, cache_path=".snakemake/lowrank/images.json", warn=print_warning
    )
}

SCRIPT_DIR = Path(workflow.current_basedir).parent / "scripts"
METHODS = ["svd"] + [
    f"nn-{regime}" for regime in config.get("methods", ["paper", "exact"])
]


def script_digest(name):
    """Digest of the lowrank modules a script imports (reruns on their edits)."""
    return source_digest(SCRIPT_DIR / name)


def memory_from_input(wildcards, input, attempt):
    """MB for a job that holds a few copies of its inputs; more on each retry."""
    return max(500, int(20 * input.size_mb) + 300) * attempt


def get_final_outputs():
    return ["results/summary.csv", "results/summary.h5", "results/report/index.html"]


def input_matrix_path(name):
    folder = "images" if STUDY[name].kind == "image" else "matrices"
    return f"results/inputs/{folder}/{name}.h5"


def get_input_matrix(wildcards):
    return input_matrix_path(wildcards.input)


def get_image_file(wildcards):
    return str(STUDY[wildcards.input].path)


def get_matrix_spec(wildcards):
    item = STUDY[wildcards.input]
    return {"set": item.set, "member": item.member, **config["matrices"][item.set]}


def get_regime_settings(wildcards):
    settings = dict(config["regimes"].get(wildcards.regime) or {})
    settings["architecture"] = config.get("architecture", {})
    return settings


def get_records():
    return [
        f"results/records/{name}/rank{rank}/{method}.h5"
        for name, item in STUDY.items()
        for rank in item.ranks
        for method in METHODS
    ]


def get_record_inputs():
    return [input_matrix_path(name) for name in STUDY]


def image_inputs():
    return [name for name, item in STUDY.items() if item.kind == "image"]


def get_rate_distortion_tables():
    return [f"results/rate_distortion/{name}.csv" for name in image_inputs()]


def get_input_ranks(wildcards):
    return list(STUDY[wildcards.input].ranks)


def get_rank_records(wildcards):
    return {
        method: f"results/records/{wildcards.input}/rank{wildcards.rank}/{method}.h5"
        for method in METHODS
    }


def get_input_records(wildcards):
    return [
        f"results/records/{wildcards.input}/rank{rank}/{method}.h5"
        for rank in STUDY[wildcards.input].ranks
        for method in METHODS
    ]


def report_sections():
    """Figure paths of every input, in the order the report shows them."""
    sections = []
    for name, item in STUDY.items():
        figures = f"results/figures/{name}"
        sections.append(
            {
                "name": name,
                "kind": item.kind,
                "shape": list(item.shape),
                "errors": f"{figures}/errors.png",
                "rate_distortion": (
                    f"results/rate_distortion/{name}.csv"
                    if item.kind == "image"
                    else None
                ),
                "ranks": [
                    [
                        rank,
                        f"{figures}/rank{rank}/panels.png",
                        f"{figures}/rank{rank}/training.png",
                    ]
                    for rank in item.ranks
                ],
            }
        )
    return sections


def get_report_figures():
    paths = []
    for section in report_sections():
        paths.append(section["errors"])
        if section["rate_distortion"]:
            paths.append(f"results/figures/{section['name']}/rate_distortion.png")
        for _, panels, training in section["ranks"]:
            paths += [panels, training]
    return paths
