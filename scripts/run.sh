#!/usr/bin/env bash
# The main job: installs what the harness needs, then reproduces Table 1 of
# the paper on the quick profile with the OpenBLAS training backend.
# Extra arguments go to the table1 program, e.g. -profile smoke.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec go run -tags openblas ./experiments/table1 "$@"
