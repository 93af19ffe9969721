#!/usr/bin/env bash
# Join a GPU node of one zone to the cluster, labelled with its zone so kaipai's placement can send
# tasks and actors there with label_selector={"zone": ZONE}.
# Usage: deploy/onprem/start-worker.sh ZONE HEAD_ADDRESS     e.g. start-worker.sh yanggao-tianzhen 10.1.0.2:6379
# GPU kind is exposed as a custom resource (e.g. gpu_kind_H800) for operators who pin by kind.
set -euo pipefail
if [ $# -lt 2 ]; then echo "usage: $0 ZONE HEAD_ADDRESS" >&2; exit 2; fi
ZONE="$1"; HEAD="$2"
case "$ZONE" in lingqiu-guangling|yanggao-tianzhen|xinrong-yungang) ;; *)
  echo "unknown zone: $ZONE" >&2; exit 2;; esac
KIND="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 | grep -oE 'H100|H800|H200|H20|A800|A100|L40S|L20' || echo unknown)"
exec ray start --address="$HEAD" \
  --labels="zone=${ZONE},gpu-kind=${KIND}" \
  --resources="{\"gpu_kind_${KIND}\": 1}"
