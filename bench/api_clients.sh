#!/usr/bin/env bash
# api_clients.sh -- issue 14's "8 concurrent API clients: throughput scales (report 1/2/4/8)".
#
# Usage: bash bench/api_clients.sh [--build DIR] [--seconds S] [--clients 1,2,4,8]
#                                  [--stores sqlite,etcd]
#
# For each store, starts one controller (SQLite in a temp dir; or etcd: one etcd-server on
# 127.0.0.1 ports the kernel picks free, and the controller on it), then runs
# tools/api_load.cc for the read mix (DescribeVpcs by id) and the write mix (authorize/revoke
# one rule, each client on its own group) with each client count. API throttling is off (the
# bench measures the server, not the per-account buckets). Everything started is stopped by
# PID on every exit path.

set -Eeuo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
BUILD=$REPO/build SECONDS_EACH=3 CLIENTS=1,2,4,8 STORES=sqlite,etcd
while [ $# -gt 0 ]; do
  case $1 in
    --build) BUILD=$2; shift 2 ;;
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --stores) STORES=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
WORK=$(mktemp -d /tmp/api-clients.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

cmake --build "$BUILD" --target api-load openvpc-controller >/dev/null

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_for_file() {
  for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done
  echo "timed out waiting for $1" >&2; return 1
}

start_etcd() {
  local client peer
  client=$(free_port) peer=$(free_port)
  etcd --name n0 --data-dir "$WORK/etcd" \
    --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "n0=http://127.0.0.1:$peer" >"$WORK/etcd.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$client/health" >/dev/null 2>&1 && break; sleep 0.1
  done
  ETCD_ENDPOINT="127.0.0.1:$client"
}

for store in ${STORES//,/ }; do
  data="$WORK/controller-$store"
  mkdir -p "$data"
  args=(--data-dir "$data" --port 0 --port-file "$data/port" --store "$store" --api-throttle off)
  if [ "$store" = etcd ]; then
    start_etcd
    args+=(--etcd-endpoints "$ETCD_ENDPOINT")
  fi
  "$BUILD/src/controller/openvpc-controller" "${args[@]}" >"$WORK/controller-$store.log" 2>&1 &
  PIDS+=($!)
  wait_for_file "$data/port"
  wait_for_file "$data/admin-credentials"
  endpoint="http://127.0.0.1:$(cat "$data/port")"
  for mix in describe mutate; do
    echo "== store=$store $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
    "$BUILD/tools/api-load" --endpoint "$endpoint" --credentials "$data/admin-credentials" \
      --clients "$CLIENTS" --seconds "$SECONDS_EACH" --mix "$mix"
  done
done
