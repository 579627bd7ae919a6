#!/bin/bash
# 10,000-image dry runs of our workflow and of the bare floor at the same
# time, one a core, so that a slow spell of this virtual machine slows both
# alike (bench/dag_pairs.sh runs them one after the other, minutes apart).
# Floors run again until ours ends, so that ours never runs alone; the
# ratio is ours against the first floor, which ran beside ours throughout.
#   bench/dag_together.sh [ROUNDS]   (default 2)
cd "$(dirname "$0")/.."
scale() { .venv/bin/python bench/dag_scale.py --inputs 10000 --images "$@" | tail -1; }
for round in $(seq 1 "${1:-2}"); do
  ours=$(mktemp)
  scale > "$ours" &
  pid=$!
  first=$(scale --bare)
  while kill -0 "$pid" 2>/dev/null; do scale --bare > /dev/null; done
  wait "$pid"
  echo "round $round ours: $(cat "$ours")"
  echo "round $round --bare: $first"
  rm -f "$ours"
done
