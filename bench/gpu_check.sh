#!/bin/bash
# Where the default study trains, and what that costs, on this machine:
#
#     bench/gpu_check.sh [WORKDIR]
#
# Clones this checkout's HEAD into WORKDIR (default $TMPDIR/gpu-check) and
# sets it up as the README says (`make`: the CUDA build where nvidia-smi
# lists a GPU, else the CPU build; timed apart from the studies). Runs the default study three
# times: TensorFlow on the device training.device: auto picks (that is `make
# study` itself), JAX likewise, and TensorFlow with training.device: cpu.
# Prints a row per run and regime: the study's wall time, the summed
# train_seconds, the start-up share of the training jobs
# (bench/startup_share.py) and the summary's device column. Without a GPU it
# says so, and fails unless every network row says CPU.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-${TMPDIR:-/tmp}/gpu-check}
rm -rf "$work" && git clone -q "$repo" "$work" && cd "$work"
if nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
  echo "nvidia-smi: $(nvidia-smi -L | grep -c '^GPU ') GPU(s): $(nvidia-smi -L | head -1)"
  gpu=1
else
  echo "no GPU here (nvidia-smi lists none): every network must train on the CPU"
  gpu=0
fi

run() {  # NAME COMMAND...: run the study, keep its results as results-NAME
  local name=$1 start end
  shift
  start=$(date +%s.%N)
  "$@" > "study-$name.log" 2>&1 || { tail -30 "study-$name.log"; exit 1; }
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc)" > results/wall_seconds
  mv results "results-$name"
}
start=$(date +%s.%N)
make setup GPU=$gpu > setup.log 2>&1 || { tail -30 setup.log; exit 1; }
echo "set-up (make setup GPU=$gpu): $(echo "$(date +%s.%N) - $start" | bc) s"
run tensorflow make study
run jax .venv/bin/snakemake --cores 8 --resources gpu=1 \
  --config "training={backend: jax}"
run cpu .venv/bin/snakemake --cores 8 --resources gpu=1 \
  --config "training={device: cpu}"

.venv/bin/python - "$gpu" <<'PY'
import subprocess, sys
from pathlib import Path
import pandas as pd
from lowrank.evaluation.summary import read_table
rows, devices = [], set()
for name in ("tensorflow", "jax", "cpu"):
    results = Path(f"results-{name}")
    summary = read_table(results / "summary.csv")
    networks = summary[summary["method"].str.startswith("nn-")]
    share = subprocess.run(
        [sys.executable, "bench/startup_share.py", str(results)],
        capture_output=True, text=True, check=True,
    ).stdout
    for method, group in networks.groupby("method"):
        devices |= set(group["device"])
        rows.append({
            "run": name, "method": method,
            "backend": ", ".join(sorted(set(group["backend"]))),
            "device": ", ".join(sorted(set(group["device"]))),
            "study wall s": float((results / "wall_seconds").read_text()),
            "train_seconds": group["train_seconds"].sum(),
            "warnings": int((group["message"] != "").sum()),
        })
    print(f"## {name}: start-up share\n{share}")
print(pd.DataFrame(rows).round(2).to_markdown(index=False))
if sys.argv[1] == "0" and devices != {"CPU"}:
    sys.exit(f"without a GPU every network must say CPU, found {sorted(devices)}")
PY
