#!/usr/bin/env bash
# A three-zone kaipai cluster on this machine (127.0.0.1), for students and CI.
#
#   deploy/local/cluster.sh up [DIR]     start it; prints DIR, writes DIR/cluster.env (addresses)
#   deploy/local/cluster.sh down DIR     stop exactly the processes `up` started (by their PIDs)
#
# One `ray start --head` (zone lingqiu-guangling) and two `ray start` workers (yanggao-tianzhen,
# xinrong-yungang), each with a zone label, a small CPU count, declared fake GPUs, ports picked free
# at start, its own temp dir under DIR, and its own process group (setsid), whose PIDs go to DIR/pids.
# `down` signals those process groups only: it never runs Ray's own cluster-wide stop command (other clusters may share the
# machine). `ray start` resolves 127.0.0.1 to this machine's own address, which Ray then uses; the
# dashboard listens on 127.0.0.1 only. Token auth: set RAY_AUTH_MODE=token and RAY_AUTH_TOKEN before `up`; otherwise it is off.
# Sizes: KAIPAI_NODE_CPUS (2), KAIPAI_NODE_GPUS (1), KAIPAI_OBJECT_STORE (100000000).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="${KAIPAI_VENV:-$REPO/.venv}"
ZONES=(lingqiu-guangling yanggao-tianzhen xinrong-yungang)
CPUS="${KAIPAI_NODE_CPUS:-2}"
GPUS="${KAIPAI_NODE_GPUS:-1}"
OBJECT_STORE="${KAIPAI_OBJECT_STORE:-100000000}"

usage() { echo "usage: $0 up [DIR] | down DIR" >&2; exit 2; }

free_ports() {  # N ports the kernel says are free now (all held at once, so they differ)
  "$VENV/bin/python" - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
}

start_node() {  # DIR NAME ARGS... : `ray start --block` in its own session; retried on a slow start
  local dir="$1" name="$2"; shift 2
  mkdir -p "$dir/$name"
  for attempt in 1 2 3 4 5; do
    setsid "$VENV/bin/ray" start --block "$@" >"$dir/$name/ray-start.log" 2>&1 < /dev/null &
    local pid=$!
    echo "$pid $name" >> "$dir/pids"   # at once: `down` stops a node that is still starting, too
    until grep -q "Ray runtime started" "$dir/$name/ray-start.log" 2>/dev/null || ! kill -0 "$pid" 2>/dev/null; do
      sleep 1
    done
    if kill -0 "$pid" 2>/dev/null; then return 0; fi
    kill -KILL -- "-$pid" 2>/dev/null || true   # whatever of this attempt's group is left
    sed -i "/^$pid $name\$/d" "$dir/pids"
    cp "$dir/$name/ray-start.log" "$dir/$name/ray-start.attempt$attempt.log"
    echo "$name: attempt $attempt did not start (machine busy?), see $dir/$name/ray-start.attempt$attempt.log" >&2
    sleep $((attempt * 5))
  done
  return 1
}

wait_for() {  # DIR FILE_OR_PORT_CHECK: until the dashboard answers and every node is up
  local dir="$1" dashboard="$2" deadline=$((SECONDS + ${KAIPAI_START_TIMEOUT:-180}))
  until "$VENV/bin/python" - "$dashboard" <<'PY' 2>/dev/null
import json, os, sys, urllib.request
headers = {}
if os.environ.get("RAY_AUTH_TOKEN"):
    headers["Authorization"] = "Bearer " + os.environ["RAY_AUTH_TOKEN"]
req = urllib.request.Request(sys.argv[1] + "/nodes?view=summary", headers=headers)
data = json.load(urllib.request.urlopen(req, timeout=5))
alive = [n for n in data["data"]["summary"] if n["raylet"]["state"] == "ALIVE"]
sys.exit(0 if len(alive) >= 3 else 1)
PY
  do
    if (( SECONDS > deadline )); then echo "the local cluster did not come up; see $dir/*/ray-start.log" >&2; return 1; fi
    sleep 2
  done
}

up() {
  local dir="${1:-$(mktemp -d /tmp/kpcluster-XXXXXX)}"
  mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"
  [[ -e "$dir/pids" ]] && { echo "$dir/pids exists: a cluster runs there (down it first)" >&2; exit 1; }
  export PATH="$VENV/bin:$PATH"   # the head's `python` runs the studio jobs' drivers
  export RAY_USAGE_STATS_ENABLED=0
  export RAY_agent_register_timeout_ms="${RAY_agent_register_timeout_ms:-25000}"  # a busy 2-core machine
  [[ -n "${RAY_AUTH_TOKEN:-}" ]] && export RAY_AUTH_MODE="${RAY_AUTH_MODE:-token}" || export RAY_AUTH_MODE="${RAY_AUTH_MODE:-disabled}"
  read -r GCS DASH CLIENT AGENT_GRPC AGENT_HTTP RT_ENV NM OM METRICS <<<"$(free_ports 9)"
  local common=(--node-ip-address=127.0.0.1 --num-cpus="$CPUS" --num-gpus="$GPUS"
                --object-store-memory="$OBJECT_STORE" --disable-usage-stats)
  start_node "$dir" head --head --port="$GCS" --dashboard-host=127.0.0.1 --dashboard-port="$DASH" \
    --ray-client-server-port="$CLIENT" --dashboard-agent-grpc-port="$AGENT_GRPC" \
    --dashboard-agent-listen-port="$AGENT_HTTP" --runtime-env-agent-port="$RT_ENV" \
    --node-manager-port="$NM" --object-manager-port="$OM" --metrics-export-port="$METRICS" \
    --temp-dir="$dir/head/tmp" --labels="zone=${ZONES[0]}" "${common[@]}" || { down "$dir"; exit 1; }
  local metrics_ports="$METRICS"
  for i in 1 2; do
    read -r W_AGENT_GRPC W_AGENT_HTTP W_RT_ENV W_NM W_OM W_METRICS <<<"$(free_ports 6)"
    start_node "$dir" "worker$i" --address="127.0.0.1:$GCS" --dashboard-agent-grpc-port="$W_AGENT_GRPC" \
      --dashboard-agent-listen-port="$W_AGENT_HTTP" --runtime-env-agent-port="$W_RT_ENV" \
      --node-manager-port="$W_NM" --object-manager-port="$W_OM" --metrics-export-port="$W_METRICS" \
      --temp-dir="$dir/worker$i/tmp" --labels="zone=${ZONES[$i]}" "${common[@]}" || { down "$dir"; exit 1; }
    metrics_ports="$metrics_ports $W_METRICS"
  done
  # exported: `source DIR/cluster.env` then lets every kaipai command find the Ray Client port
  cat > "$dir/cluster.env" <<ENV
export KAIPAI_ADDRESS=http://127.0.0.1:$DASH
export KAIPAI_RAY_CLIENT=ray://127.0.0.1:$CLIENT
export KAIPAI_GCS=127.0.0.1:$GCS
export KAIPAI_METRICS_PORTS="$metrics_ports"
export KAIPAI_CLUSTER_DIR=$dir
ENV
  if ! wait_for "$dir" "http://127.0.0.1:$DASH"; then down "$dir"; exit 1; fi
  echo "$dir"
}

down() {
  local dir="${1:?usage: $0 down DIR}"
  [[ -f "$dir/pids" ]] || { echo "no $dir/pids: nothing of ours to stop" >&2; return 1; }
  local pids=() pid name
  while read -r pid name; do pids+=("$pid"); done < "$dir/pids"
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done   # the node's process group
  for _ in $(seq 1 20); do
    local left=0
    for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && left=1; done
    (( left == 0 )) && break
    sleep 1
  done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  for _ in $(seq 1 15); do   # killed processes take a moment to go
    local left=0
    for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && left=1; done
    (( left == 0 )) && break
    sleep 1
  done
  rm -f "$dir/pids"
  echo "stopped ${#pids[@]} node(s) of $dir"
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) shift; down "$@" ;;
  *) usage ;;
esac
