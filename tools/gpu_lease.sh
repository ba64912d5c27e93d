#!/usr/bin/env bash
# One slice of a lent GPU machine: the paper-scale ledger on a local Dask cluster of one GPU
# worker and the machine's other cores as CPU workers, for MINUTES minutes, after printing the
# plan; what it stored (and the checkpoints of paused entries) is copied to $OUT.
#
#   bash tools/gpu_lease.sh MINUTES [STUDY ...]      (from the repository root, on the lent machine)
#
# Dask is installed from .whl/dask when it is missing (`make dask-wheels` here fills it for
# the lent machine's Python; carry .whl/dask with the working tree). The commit goes into each
# entry's provenance through SB_GIT_COMMIT (the copy there has no .git).
set -euo pipefail
minutes=${1:?usage: bash tools/gpu_lease.sh MINUTES [STUDY ...]}
shift
py=${PYTHON:-python3}
if ! "$py" -c "import distributed" 2>/dev/null; then
    "$py" -m pip install -q --no-index --find-links .whl/dask "dask[distributed]==2026.11.0"
fi
cores=$(nproc)
cpu=$((cores > 3 ? cores - 2 : 1))  # one core for the GPU worker, one for the client and scheduler
export PYTHONPATH=. SB_GIT_COMMIT=${SB_GIT_COMMIT:-unknown}
"$py" -m sbcore.run_experiments --plan --profile paper --minutes "$minutes" \
    --gpu-workers 1 --cpu-workers "$cpu" "$@"
status=0
"$py" -m sbcore.run_experiments --missing --profile paper --cluster "local:$cpu" \
    --gpu-workers 1 --budget-min "$minutes" --cheapest-first "$@" || status=$?
if [ -n "${OUT:-}" ]; then
    mkdir -p "$OUT"
    cp -r results/paper "$OUT/"  # .partial folders included: the next slice resumes them
fi
exit "$status"
