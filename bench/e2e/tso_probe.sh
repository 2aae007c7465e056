#!/usr/bin/env bash
# tso_probe.sh -- step 4 of issue #7: what TSO through the TAP would buy the router's I/O path.
#
# Usage: sudo bash bench/e2e/tso_probe.sh [--reps N] [--load-seconds S] [--modes frames,tso]
#
# Two tso_path_probe processes (tools/tso_path_probe.cc; built here with g++ into a temp
# dir) stand for the two routers: each owns a TAP moved into an instance namespace (ovp-vmA,
# ovp-vmB: 10.96.1.1 and 10.96.1.2/24, MTU 1400 like the peers) and forwards frames over a
# UDP socket on 127.0.5.2:6091 <-> 127.0.5.3:6091 -- the router's I/O without its pipeline.
# Mode `frames` is today's router (checksum offload only, one datagram and one TAP write per
# MSS segment); mode `tso` passes TSO super-frames and their virtio-net header through one
# datagram each. Loads as baseline.sh: iperf3 TCP and UDP 64-byte, S seconds each.
# Everything is torn down on every exit path (processes by PID, namespaces by name).

set -Eeuo pipefail
shopt -s inherit_errexit
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
REPS=3 DUR=5 MODES="frames tso" MTU=1400
IP_A=10.96.1.1 IP_B=10.96.1.2
WORK='' PIDS=()

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

down() {
  local p _ alive
  for ns in ovp-vmA ovp-vmB; do
    ip netns list | awk '{print $1}' | grep -qx $ns || continue
    for p in $(ip netns pids $ns 2>/dev/null); do kill -TERM "$p" 2>/dev/null || true; done
  done
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 50); do
    alive=""
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive+=" $p"; done
    [ -z "$alive" ] && break; sleep 0.1
  done
  [ -n "${alive:-}" ] && kill -KILL $alive 2>/dev/null || true
  PIDS=()
  for ns in ovp-vmA ovp-vmB; do ip netns del $ns 2>/dev/null || true; done
  for p in ovptapA ovptapB; do ip link del $p 2>/dev/null || true; done
}
on_exit() { local rc=$?; trap - EXIT INT TERM; down; [ -n "$WORK" ] && rm -rf "$WORK"; exit $rc; }

up() {  # up MODE
  local mode=$1 x ip
  for x in A B; do
    ip netns add ovp-vm$x
    nsx ovp-vm$x sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n ovp-vm$x link set lo up
  done
  "$WORK/tso_path_probe" --tap ovptapA --local 127.0.5.2 --peer 127.0.5.3 --mode "$mode" \
    --seconds-max 300 >"$WORK/probe-A.log" 2>&1 &
  PIDS+=($!)
  "$WORK/tso_path_probe" --tap ovptapB --local 127.0.5.3 --peer 127.0.5.2 --mode "$mode" \
    --seconds-max 300 >"$WORK/probe-B.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 50); do ip link show ovptapB >/dev/null 2>&1 && ip link show ovptapA >/dev/null 2>&1 && break; sleep 0.1; done
  for x in A B; do
    case $x in A) ip=$IP_A ;; B) ip=$IP_B ;; esac
    ip link set ovptap$x netns ovp-vm$x
    ip -n ovp-vm$x addr add $ip/24 dev ovptap$x
    # a super-frame plus its Ethernet header and our 16 bytes must fit one UDP datagram on lo
    ip -n ovp-vm$x link set ovptap$x mtu $MTU gso_max_size 60000 up
  done
  nsx ovp-vmA ping -c1 -W2 -q $IP_B >/dev/null || die "no path in mode $mode"
}

measure() {  # measure MODE REP
  local mode=$1 rep=$2 tcp udp
  local server
  nsx ovp-vmB timeout $((DUR + 20)) iperf3 -s -1 -B $IP_B -p 5201 >/dev/null 2>&1 &
  server=$!
  sleep 0.5
  nsx ovp-vmA timeout $((DUR + 20)) iperf3 -c $IP_B -p 5201 -t "$DUR" --connect-timeout 3000 -J >"$WORK/tcp.json" || true
  wait "$server" || true
  tcp=$(jq -r '.end.sum_received.bits_per_second / 1e9' "$WORK/tcp.json")
  nsx ovp-vmB timeout $((DUR + 20)) iperf3 -s -1 -B $IP_B -p 5201 >/dev/null 2>&1 &
  server=$!
  sleep 0.5
  nsx ovp-vmA timeout $((DUR + 20)) iperf3 -c $IP_B -p 5201 -u -l 64 -b 0 -t "$DUR" --connect-timeout 3000 -J >"$WORK/udp.json" || true
  wait "$server" || true
  udp=$(jq -r '.end.sum_received.bytes / 64 / .end.sum_received.seconds / 1000' "$WORK/udp.json")
  printf '%s\t%s\t%.2f\t%.1f\t%s\n' "$mode" "$rep" "$tcp" "$udp" "$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$WORK/results.tsv"
}

main() {
  while [ $# -gt 0 ]; do
    case $1 in
      --reps) REPS=${2:?}; shift 2 ;;
      --load-seconds) DUR=${2:?}; shift 2 ;;
      --modes) MODES=$(echo "${2:?}" | tr ',' ' '); shift 2 ;;
      *) sed -n '2,4p' "$0"; exit 2 ;;
    esac
  done
  [ "$(id -u)" = 0 ] || die "must run as root"
  trap on_exit EXIT
  trap 'exit 130' INT TERM
  WORK=$(mktemp -d /tmp/openvpc-tso-probe.XXXXXX)
  g++ -O2 -std=c++20 -I"$REPO/src" -o "$WORK/tso_path_probe" "$REPO/tools/tso_path_probe.cc" "$REPO/src/io/offload.cc" "$REPO/src/packet/checksum.cc"
  : >"$WORK/results.tsv"
  local rep mode
  echo "# mode rep tcp_gbps udp64_rx_kpps loadavg"
  for rep in $(seq "$REPS"); do
    for mode in $MODES; do
      up "$mode"
      measure "$mode" "$rep"
      down
      sed 's/^/#   /' "$WORK"/probe-*.log >&2
    done
  done
  echo "# medians:"
  for mode in $MODES; do
    printf '#   %-7s tcp %s Gbit/s  udp64 %s kpps  (n=%s)\n' "$mode" \
      "$(awk -F'\t' -v m="$mode" '$1 == m {print $3}' "$WORK/results.tsv" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')" \
      "$(awk -F'\t' -v m="$mode" '$1 == m {print $4}' "$WORK/results.tsv" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')" \
      "$(awk -F'\t' -v m="$mode" '$1 == m' "$WORK/results.tsv" | wc -l)"
  done
}

main "$@"
