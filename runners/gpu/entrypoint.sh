#!/usr/bin/env bash
# Entry point of the GPU runner image: checks the GPU is visible, then runs the just-in-time
# registration loop in the foreground so `docker stop` (SIGTERM) reaches it and the job.
set -euo pipefail

if ! nvidia-smi -L >/dev/null 2>&1; then
  echo "modelship-runner: no GPU visible in the container; start it with --gpus all (NVIDIA Container Toolkit)" >&2
  [[ "${MODELSHIP_ALLOW_NO_GPU:-}" == "1" ]] || exit 1
  set -- --no-gpu-check "$@"
fi

exec node /opt/modelship/runners/gpu/main.ts --runner-dir "${RUNNER_DIR:-/opt/actions-runner}" "$@"
