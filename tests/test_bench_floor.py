"""The dry-run floor of ``bench/dag_scale.py --images --bare`` plans the same
files as the workflow, job for job: its ratio is only worth what that
sameness is (issue 47 measures the workflow against it)."""

import importlib.util
import re
from pathlib import Path

from test_workflow import snakemake

REPO = Path(__file__).resolve().parents[1]
FIELDS = ("input", "output", "log", "benchmark")


def dag_scale():
    spec = importlib.util.spec_from_file_location(
        "dag_scale", REPO / "bench" / "dag_scale.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def planned_files(workdir, renamed=()):
    """Each job of a dry run as (rule, its files per field), the study's own
    folder left out of absolute paths and each (old, new) of ``renamed``
    applied."""
    config = (
        ["--configfile", "config.yaml"] if (workdir / "config.yaml").exists() else []
    )
    result = snakemake(workdir, "--dry-run", *config)
    text = result.stdout.replace(f"{workdir}/", "")
    for old, new in renamed:
        text = text.replace(old, new)
    jobs = []
    for block in text.split("\nrule ")[1:]:
        rule = block.split(":", 1)[0]
        files = tuple(
            tuple(sorted(match.group(1).split(", ")))
            if (match := re.search(rf"^    {field}: (.*)$", block, flags=re.M))
            else ()
            for field in FIELDS
        )
        jobs.append((rule, files))
    return sorted(jobs)


def test_the_image_floor_plans_the_workflows_files_job_for_job(tmp_path):
    bench = dag_scale()
    ours, floor = tmp_path / "ours", tmp_path / "floor"
    ours.mkdir()
    floor.mkdir()
    bench.study(ours, 2, images=True)
    bench.bare_study(floor, 2, images=True)
    # The floor's stand-in for the paper's published table.
    published = ("lowrank/data/bleckel_published.csv", "published.csv")
    workflow_jobs = planned_files(ours, renamed=[published])
    assert len(workflow_jobs) == 15
    assert planned_files(floor) == workflow_jobs
