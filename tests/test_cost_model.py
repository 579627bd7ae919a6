"""bench/cost_model.py: jobs, their costs and the critical path from a
Snakemake log and the benchmark files."""

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

SPEC = importlib.util.spec_from_file_location(
    "cost_model", Path(__file__).resolve().parents[1] / "bench" / "cost_model.py"
)
cost_model = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(cost_model)

LOG = """\
[Wed Dec  2 01:00:00 2026]
localrule prepare:
    output: results/inputs/a.h5, results/svd/a.h5
    jobid: 3
    benchmark: results/benchmarks/prepare/a.tsv
    wildcards: input=a
[Wed Dec  2 01:00:01 2026]
rule rate_distortion:
    input: results/inputs/a.h5, results/svd/a.h5
    output: results/rate_distortion/a.csv
    jobid: 4
    benchmark: results/benchmarks/rate_distortion/a.tsv
    wildcards: input=a
[Wed Dec  2 01:00:01 2026]
rule train:
    input: results/inputs/a.h5
    output: results/approximations/a/nn-exact
    jobid: 2
    benchmark: results/benchmarks/train/a/exact.tsv
    wildcards: input=a, regime=exact
[Wed Dec  2 01:00:05 2026]
Finished jobid: 4 (Rule: rate_distortion)
[Wed Dec  2 01:00:09 2026]
Finished jobid: 2 (Rule: train)
[Wed Dec  2 01:00:09 2026]
rule evaluate:
    input: results/inputs/a.h5, results/svd/a.h5, results/approximations/a/nn-exact
    output: results/evaluations/a.csv
    jobid: 1
    benchmark: results/benchmarks/evaluate/a.tsv
    wildcards: input=a
[Wed Dec  2 01:00:10 2026]
Finished jobid: 1 (Rule: evaluate)
"""


def test_costs_include_the_servers_training_and_the_path_follows_files(tmp_path):
    log = tmp_path / "study.log"
    # A prepare job that never finished is left out.
    log.write_text(LOG)
    measured = {"prepare/a": (1.0, 0.8), "rate_distortion/a": (4.0, 7.5),
                "train/a/exact": (8.0, 0.3), "evaluate/a": (1.2, 1.1)}  # fmt: skip
    for name, (wall, cpu) in measured.items():
        path = tmp_path / "results" / "benchmarks" / f"{name}.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"s": [wall], "cpu_time": [cpu]}).to_csv(path, sep="\t")
    pd.DataFrame(
        {"input": ["a", "a", "a"], "method": ["nn-exact", "nn-exact", "svd"],
         "train_cpu_seconds": [2.0, 3.0, None]}
    ).to_csv(tmp_path / "results" / "summary.csv")  # fmt: skip
    jobs = cost_model.parse_log(log)
    costs = cost_model.job_costs(jobs, tmp_path)
    assert sorted(costs["rule"]) == ["evaluate", "rate_distortion", "train"]
    assert costs.loc[2, "cpu"] == pytest.approx(0.3 + 5.0)
    assert costs.loc[2, "server_cpu"] == pytest.approx(5.0)
    seconds, path = cost_model.critical_path(jobs, costs)
    assert path == [2, 1] and seconds == pytest.approx(8.0 + 1.2)
