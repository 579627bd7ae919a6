"""What a finished study cost, rule by rule, against what it had to cost:

    python bench/cost_model.py STUDY_DIR LOG [--cores N] [--wall S] [--cpu S]

LOG is the Snakemake output of the run (its job blocks name each job's
inputs, outputs and benchmark file). Each job's wall and CPU seconds come
from its benchmark file (every rule has one); a training job's CPU adds the
CPU its ranks used in the training server (``train_cpu_seconds`` of the
summary), which its own process tree does not hold. The jobs' dependencies
come from their files: a job needs every job whose output it reads.

Prints per rule: jobs, wall and CPU seconds, and CPU seconds per
(input, rank) pair; the critical path (the longest chain of jobs by wall
time); and the lower bound, the larger of the critical path and the total
CPU over ``--cores``. ``--cpu`` is the whole run's CPU (``/usr/bin/time``'s
user + system of the Snakemake command), which adds Snakemake's own work;
without it the jobs' sum is used. The training servers' CPU is added to
``--cpu`` unless ``--cpu-includes-servers``: a server that exits before
Snakemake does is reaped by it, and its CPU is then in ``/usr/bin/time``'s
figure already (a study whose codec sweeps outlast the trainings by more than
``training.warm_seconds``). ``--wall`` is the run's wall time, to print its
ratio to the bound.
"""

import argparse
import os
import re
from datetime import datetime
from pathlib import Path

import pandas as pd

STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ [\d:]+ \d{4})\]$")
START = re.compile(r"^(?:local)?rule (\w+):$")
FIELD = re.compile(r"^    (\w+): (.*)$")
FINISH = re.compile(r"^Finished jobid: (\d+) \(Rule: (\w+)\)$")


def parse_log(path):
    """Job id -> {rule, start, end, input, output, benchmark, wildcards}."""
    jobs, stamp, current = {}, None, None
    for line in Path(path).read_text().splitlines():
        if match := STAMP.match(line):
            stamp, current = datetime.strptime(match[1], "%a %b %d %H:%M:%S %Y"), None
        elif match := START.match(line):
            current = {"rule": match[1], "start": stamp, "input": [], "output": []}
        elif current is not None and (match := FIELD.match(line)):
            key, value = match[1], match[2]
            if key in ("input", "output"):
                current[key] = value.split(", ")
            elif key == "jobid":
                jobs[int(value)] = current
            else:
                current[key] = value
        elif match := FINISH.match(line):
            jobs[int(match[1])]["end"] = stamp
    return jobs


def job_costs(jobs, study):
    """A table of the finished jobs: rule, input, wall and CPU seconds."""
    summary_path = study / "results" / "summary.csv"
    server_cpu = {}
    if summary_path.exists():
        summary = pd.read_csv(summary_path)
        trained = summary[summary["method"].str.startswith("nn-")]
        server_cpu = trained.groupby(["input", "method"])["train_cpu_seconds"].sum()
    rows = []
    for jobid, job in jobs.items():
        if "end" not in job:
            continue
        wildcards = dict(
            item.split("=", 1) for item in job.get("wildcards", "").split(", ") if item
        )
        wall = (job["end"] - job["start"]).total_seconds()
        cpu = float("nan")
        if "benchmark" in job and (study / job["benchmark"]).exists():
            measured = pd.read_csv(study / job["benchmark"], sep="\t").iloc[0]
            wall, cpu = float(measured["s"]), float(measured["cpu_time"])
        server = 0.0
        if job["rule"] == "train":
            key = (wildcards["input"], f"nn-{wildcards['regime']}")
            server = float(server_cpu.get(key, 0.0))
        rows.append({"jobid": jobid, "rule": job["rule"],
                     "input": wildcards.get("input", ""), "wall": wall,
                     "cpu": cpu + server, "server_cpu": server})  # fmt: skip
    return pd.DataFrame(rows).set_index("jobid")


def critical_path(jobs, costs):
    """The longest chain of dependent jobs by wall time: (seconds, job ids)."""
    producer = {path: jobid for jobid, job in jobs.items() for path in job["output"]}
    finish, chain = {}, {}
    for jobid in sorted(costs.index, key=lambda j: jobs[j]["start"]):
        needs = {producer[p] for p in jobs[jobid]["input"] if p in producer} & set(
            finish
        )
        before = max(needs, key=finish.get, default=None)
        finish[jobid] = costs.loc[jobid, "wall"] + (finish[before] if before else 0.0)
        chain[jobid] = (chain[before] if before else []) + [jobid]
    last = max(finish, key=finish.get)
    return finish[last], chain[last]


def ranks_per_input(study):
    """Input -> number of ranks it was evaluated at."""
    counts = {}
    for table in (study / "results" / "evaluations").glob("*.csv"):
        counts[table.stem] = pd.read_csv(table)["rank"].nunique()
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path)
    parser.add_argument("log", type=Path)
    parser.add_argument("--cores", type=int, default=os.cpu_count())
    parser.add_argument("--wall", type=float)
    parser.add_argument("--cpu", type=float)
    parser.add_argument("--cpu-includes-servers", action="store_true")
    args = parser.parse_args()
    jobs = parse_log(args.log)
    costs = job_costs(jobs, args.study)
    pairs = ranks_per_input(args.study)
    costs["pairs"] = costs["input"].map(pairs)
    by_rule = costs.groupby("rule").agg(
        jobs=("wall", "size"), wall=("wall", "sum"), cpu=("cpu", "sum")
    )
    inputs = costs.drop_duplicates(["rule", "input"]).groupby("rule")["pairs"].sum()
    by_rule["cpu_per_input_rank"] = by_rule["cpu"] / inputs.where(inputs > 0)
    print(by_rule.sort_values("cpu", ascending=False).round(2).to_string())
    path_seconds, path = critical_path(jobs, costs)
    steps = " -> ".join(
        f"{costs.loc[j, 'rule']}({costs.loc[j, 'input']}) {costs.loc[j, 'wall']:.1f}s"
        for j in path
    )
    # A server that outlives Snakemake is no child it waited for: /usr/bin/time
    # misses its CPU (see --cpu-includes-servers for one that exited first).
    server = 0.0 if args.cpu_includes_servers else float(costs["server_cpu"].sum())
    total_cpu = server + args.cpu if args.cpu is not None else float(costs["cpu"].sum())
    bound = max(path_seconds, total_cpu / args.cores)
    print(f"\njobs' CPU {costs['cpu'].sum():.1f} s; whole run's CPU {total_cpu:.1f} s")
    print(f"critical path {path_seconds:.1f} s: {steps}")
    print(
        f"lower bound {bound:.1f} s = max(critical path, "
        f"{total_cpu:.1f} s CPU / {args.cores} cores)"
    )
    if args.wall:
        print(f"wall {args.wall:.1f} s = {args.wall / bound:.2f} x the lower bound")


if __name__ == "__main__":
    main()
