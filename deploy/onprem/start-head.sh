#!/usr/bin/env bash
# Start the Ray head of the Datong cluster in the zone nearest the city (xinrong-yungang by default).
# Usage: deploy/onprem/start-head.sh [ZONE]     (run on the head machine, inside the kaipai venv)
# Token auth: Ray 2.5x+ clusters should run with RAY_AUTH_MODE=token and a shared token in
# RAY_AUTH_TOKEN (kept in a secrets store, never in this repo); clients and `kaipai submit` use the same.
set -euo pipefail
ZONE="${1:-xinrong-yungang}"
case "$ZONE" in lingqiu-guangling|yanggao-tianzhen|xinrong-yungang) ;; *)
  echo "unknown zone: $ZONE (lingqiu-guangling | yanggao-tianzhen | xinrong-yungang)" >&2; exit 2;; esac
exec ray start --head \
  --port=6379 --dashboard-host=0.0.0.0 --dashboard-port=8265 \
  --labels="zone=${ZONE}" \
  --num-gpus=0   # the head schedules; GPU work goes to the workers of each zone
