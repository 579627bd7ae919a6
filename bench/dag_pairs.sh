#!/bin/bash
# Alternating pairs of 10,000-image dry runs: our workflow, then the bare
# floor (bench/dag_scale.py --images), each line the dry run's own seconds.
#   bench/dag_pairs.sh [PAIRS]   (default 2)
cd "$(dirname "$0")/.."
for pair in $(seq 1 "${1:-2}"); do
  for variant in "" "--bare"; do
    echo "pair $pair ${variant:-ours}: $(.venv/bin/python bench/dag_scale.py --inputs 10000 --images $variant | tail -1)"
  done
done
