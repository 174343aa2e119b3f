#!/usr/bin/env bash
# The vision pipeline's accuracy and speed on the shared clips and on store-like versions of them
# (docs/benchmarks.md): writes docs/benchmarks/pipeline-*.json. Run it on an idle machine: speed is measured.
set -euo pipefail
source "$(dirname "$0")/_setup.sh"
FOOTAGE="${FOOTAGE_DIR:-$(cd .. && pwd)/shared/footage}"
export VISION_MODEL_DIR="${VISION_MODEL_DIR:-$(cd .. && pwd)/shared/models}"
STORE=.cache/store-footage
manage() { .venv/bin/python manage.py "$@"; }
thirds=(--line 0.1667,0,0.1667,1 --line 0.5,0,0.5,1 --line 0.8333,0,0.8333,1)  # through each column of a 3x3
quarters=(--line 0.125,0,0.125,1 --line 0.375,0,0.375,1 --line 0.625,0,0.625,1 --line 0.875,0,0.875,1)
for clip in TUD-Stadtmitte TUD-Campus; do
  manage make_store_footage "$FOOTAGE/$clip" "$STORE/$clip-store" --scale 0.4 --grid 3x3
  manage make_store_footage "$FOOTAGE/$clip" "$STORE/$clip-tiny" --scale 0.3 --grid 4x4
  manage benchmark_pipeline "$FOOTAGE/$clip" --json "docs/benchmarks/pipeline-$clip.json"
  manage benchmark_pipeline "$STORE/$clip-store" "${thirds[@]}" --json "docs/benchmarks/pipeline-$clip-store.json"
  manage benchmark_pipeline "$STORE/$clip-tiny" "${quarters[@]}" --json "docs/benchmarks/pipeline-$clip-tiny.json"
done
manage benchmark_pipeline "$FOOTAGE/MOT17-04-mini8" --fps 30 --json docs/benchmarks/pipeline-MOT17-04-mini8.json
