#!/bin/bash
# The default study from a fresh clone of each revision, one after the other:
#
#     bench/study_pair.sh REV [REV ...]
#
# Each run clones its revision to $TMPDIR/study-N-REV (N counts the runs, so
# a revision may come twice) with this checkout's .venv,
# waits until the training servers of earlier runs have exited (their
# warm_seconds, 60), starts with an empty XLA cache, runs the README's study
# command and prints its wall time, job count, bench/startup_share.py and,
# where the revision has benchmark files for every rule, bench/cost_model.py
# (this checkout's). IMAGES=FOLDER replaces the sample images with FOLDER's
# (bench/photos.py writes four). Compare revisions only within one call: the
# machine's speed drifts.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
tmp=${TMPDIR:-/tmp}
run=0
for rev in "$@"; do
  run=$((run + 1))
  dir=$tmp/study-$run-$rev
  cd "$repo" || exit 1
  rm -rf "$dir" && git clone -q "$repo" "$dir" && git -C "$dir" checkout -q "$rev"
  ln -s "$repo/.venv" "$dir/.venv"
  if [ -n "${IMAGES:-}" ]; then
    rm -f "$dir"/resources/images/* && cp "$IMAGES"/* "$dir/resources/images/"
  fi
  rm -rf "$tmp/lowrank-training-$(id -u)/xla-cache" "$tmp/lowrank-$(id -u)/xla-cache"
  sleep 65
  cd "$dir" || exit 1
  start=$(date +%s.%N)
  # The clone's lowrank, not the editable install's (this checkout), for
  # every process: Snakemake, jobs and (through PYTHONPATH or the job's own
  # package folder) the training servers.
  PYTHONPATH="$dir" /usr/bin/time -o "$dir.time" -f "%U %S" \
    .venv/bin/snakemake --cores 8 --resources gpu=1 > "$dir.log" 2>&1
  rc=$?
  end=$(date +%s.%N)
  wall=$(echo "$end - $start" | bc)
  cpu=$(awk '{print $1 + $2}' "$dir.time")
  jobs=$(grep -c '^rule \|^localrule ' "$dir.log")
  echo "$rev rc=$rc wall=$wall cpu=$cpu jobs=$jobs"
  "$repo/.venv/bin/python" "$repo/bench/startup_share.py" results | tail -3
  if [ -f results/benchmarks/evaluate/"$(ls results/evaluations | head -1 | sed 's/csv$/tsv/')" ]; then
    "$repo/.venv/bin/python" "$repo/bench/cost_model.py" . "$dir.log" \
      --wall "$wall" --cpu "$cpu"
  fi
done
