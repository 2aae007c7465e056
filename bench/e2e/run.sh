#!/usr/bin/env bash
# run.sh -- openvpc end to end against the peers (issue #7), in one run.
#
# Usage: sudo bash bench/e2e/run.sh [--reps N] [--only openvpc] [--load-seconds S] [--pps]
#                                   [--peers p1,p2,...] [--no-profile] [--nice N] [--keep-logs]
#                                   [--router-cpus C1,C2] [-h]
#
# Measures openvpc with the same loads and topology as ../shared/peers/baseline.sh and runs
# that script (a private copy, so its last-run.txt is not overwritten) in the same run:
# repetition r = one openvpc unit, then one baseline round over the peers, so slow drift of
# the VM hits everything alike. Prints one table (medians, spread, ratios) and writes it to
# bench/e2e/last-run.txt.
#
# openvpc is started the way a user would: openvpc-controller (SQLite in a temp data dir,
# hosts h1=127.0.5.2 and h2=127.0.5.3, mapping service on a free port), two openvpc-routers
# with --controller, then /usr/bin/aws ec2: a VPC 10.0.0.0/16, subnets 10.0.1.0/24 and
# 10.0.2.0/24, a security group equal to the peers' rules (new TCP 80 / TCP 5201 / UDP 5201
# allowed, everything else -- TCP 22, ICMP -- dropped, replies by conntrack), one instance
# on each host. The instances take their address by DHCP; their MTU is then set to the
# peers' 1400. nginx (1 worker, 1 KiB file, :80 and a :22 decoy) runs in the server.
#
# Loads (each bounded by the load time and a hard `timeout`), exactly as baseline.sh:
#   TCP    iperf3 -c B -t S                       -> Gbit/s received
#   UDP64  iperf3 -c B -u -l 64 -b 0 -t S         -> packets/s received (kpps)
#   HTTP   wrk -t1 -c32 -dSs --latency http://B/  -> requests/s, p99
# --pps adds, to each openvpc unit only (not in the table), the packet rate through one
# router worker: trafgen (Debian netsniff-ng, one process, qdisc bypassed) in vmA sends
# 64-byte UDP datagrams of one flow to B:5201 for S seconds as fast as it can; printed: what
# it offered, what router h1 read from vmA's TAP (the rest was dropped in the TAP's queue),
# what router h2 wrote into vmB's TAP (kpps), each router's CPU per frame (ns, utime + stime
# from /proc/PID/stat over frames it forwarded) and h1's frames per TAP system call.
# After the measured repetitions a profile unit (not counted) runs one TCP and one UDP load
# under `perf record -e cpu-clock -g -a` and records the CPU split (/proc/stat, the routers'
# /proc/PID/stat, iperf3's own CPU figures); summaries go to bench/e2e/last-profile.txt.
#
# --nice N (e.g. -10) runs everything the benchmark starts -- openvpc and the peers alike --
# at that niceness, so that other work on a shared VM (compilers) disturbs the loads less;
# softirq work deferred to ksoftirqd still runs at the default priority.
#
# --router-cpus C1,C2 pins router h1's worker to CPU C1 and h2's to C2 (openvpc-router --cpus);
# the load tools stay wherever the scheduler puts them.
#
# Takes the binaries from OPENVPC_BUILD (default: build/ of this checkout); builds nothing.
# Tears down everything it made (processes by PID, namespaces and links by name) on every
# exit path, and checks that nothing is left. Needs root, iproute2, iperf3, wrk, nginx, jq,
# dhclient, /usr/bin/aws, perf; the peers also need openvswitch-switch, nftables, g++.

set -Eeuo pipefail
shopt -s inherit_errexit

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD=${OPENVPC_BUILD:-$REPO/build}
PEERS_DIR=${OPENVPC_PEERS_DIR:-$REPO/../shared/peers}
CONTROLLER_BIN=$BUILD/src/controller/openvpc-controller
ROUTER_BIN=$BUILD/src/router/openvpc-router
CLI_BIN=$BUILD/src/cli/openvpc
AWS=/usr/bin/aws
WORK=                       # mktemp -d, set in main
LOCK=/tmp/openvpc-e2e-bench.lock
OUT_TXT=$HERE/last-run.txt
OUT_PROFILE=$HERE/last-profile.txt
UNDERLAY_1=127.0.5.2 UNDERLAY_2=127.0.5.3
TAP_PREFIX=ovbe            # TAP name = prefix + 10-digit ENI number (14 < IFNAMSIZ)
A_IP=10.0.1.5 B_IP=10.0.2.7 MTU=1400
GUARD=30

REPS=3
DUR=5
ONLY=
PEERS="ovs-geneve-ct,kernel-vxlan-nft,tapfwd,veth-direct"
PROFILE=1
PPS=0
KEEP_LOGS=0
ROUTER_CPUS=""
NICE=0

# The current unit runs in a background subshell: its PIDs and instance ids also go to files
# in $WORK ($WORK/pids-routers, pids-controller, instances) so that teardown finds them.
ROUTER_PIDS=()
CONTROLLER_PID=
BASELINE_PID=
UNIT_PID=
INSTANCES=()               # instance ids = namespace names
ENDPOINT=

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
trap 'log "failed (rc=$?) at line $LINENO: $BASH_COMMAND"' ERR
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# ----------------------------------------------------------------------------- teardown
stop_pids() {  # stop_pids SECONDS PID...: TERM, then KILL whatever is left after SECONDS
  local wait_s=$1; shift
  local pids="" p _ alive
  for p in "$@"; do [ -n "$p" ] && kill -0 "$p" 2>/dev/null && pids+=" $p"; done
  [ -z "$pids" ] && return 0
  kill -TERM $pids 2>/dev/null || true
  for _ in $(seq $((wait_s * 10))); do
    alive=""
    for p in $pids; do kill -0 "$p" 2>/dev/null && alive+=" $p"; done
    [ -z "$alive" ] && return 0
    sleep 0.1
  done
  kill -KILL $alive 2>/dev/null || true
}

our_links() { ip -o link show 2>/dev/null | awk -F': ' -v p="$TAP_PREFIX" 'index($2, p) == 1 {sub(/@.*/, "", $2); print $2}'; }
our_netns() {  # the instance namespaces of this run (also from a file, after a subshell)
  local ns
  { printf '%s\n' "${INSTANCES[@]}"; cat "$WORK/instances" 2>/dev/null || true; } | sort -u |
    while read -r ns; do [ -n "$ns" ] && ip netns list | awk '{print $1}' | grep -qx "$ns" && echo "$ns"; done || true
}

descendants() {  # descendants PID: all child PIDs, recursively
  local c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$c"; descendants "$c"; done
}

openvpc_down() {  # everything of the current openvpc unit, by PID and by name
  local ns f pids=""
  # instance processes first (dhclient, nginx, iperf3, wrk), then the routers (they delete
  # the instance namespaces on SIGTERM), then the controller
  for f in "$WORK"/unit/*.pid; do [ -f "$f" ] && pids+=" $(cat "$f" 2>/dev/null)"; done
  for ns in $(our_netns); do pids+=" $(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"; done
  # shellcheck disable=SC2086
  stop_pids 5 $pids
  # shellcheck disable=SC2046
  stop_pids 15 "${ROUTER_PIDS[@]}" $(cat "$WORK/pids-routers" 2>/dev/null)
  # shellcheck disable=SC2046
  stop_pids 15 "$CONTROLLER_PID" $(cat "$WORK/pids-controller" 2>/dev/null)
  for ns in $(our_netns); do ip netns del "$ns" 2>/dev/null || true; done
  for f in $(our_links); do ip link del "$f" 2>/dev/null || true; done
  ROUTER_PIDS=() CONTROLLER_PID='' INSTANCES=()
  rm -f "$WORK/instances" "$WORK/pids-routers" "$WORK/pids-controller"
  if [ "$KEEP_LOGS" = 1 ] && [ -d "$WORK/unit" ] && [ -n "${1:-}" ]; then
    mkdir -p "$WORK/logs"; rm -rf "$WORK/logs/$1"; mv "$WORK/unit" "$WORK/logs/$1"
  fi
  rm -rf "$WORK/unit"
}

on_signal() {  # stop the running unit (its process tree, by PID), then exit -> on_exit
  log "interrupted; tearing down"
  if [ -n "$UNIT_PID" ]; then
    # shellcheck disable=SC2046
    kill -TERM "$UNIT_PID" $(descendants "$UNIT_PID") 2>/dev/null || true
  fi
  exit 130
}

on_exit() {
  local rc=$?
  trap - ERR INT TERM
  if [ -n "$BASELINE_PID" ]; then stop_pids 40 "$BASELINE_PID"; fi  # its own trap cleans pb-*
  [ -n "$WORK" ] && openvpc_down
  local left
  left="$(our_links | tr '\n' ' ')$(ip netns list | awk '$1 ~ /^pb-/ {printf "%s ", $1}')"
  if [ -n "$left" ]; then log "WARNING: left behind: $left"; rc=1; fi
  if [ -n "$WORK" ]; then
    if [ "$KEEP_LOGS" = 1 ]; then log "logs kept in $WORK"; else rm -rf "$WORK"; fi
  fi
  if [ "${LOCKED:-0}" = 1 ]; then rm -rf "$LOCK"; fi
  exit $rc
}

acquire_lock() {
  if ! mkdir "$LOCK" 2>/dev/null; then
    local old; old=$(cat "$LOCK/pid" 2>/dev/null || true)
    if [ -n "$old" ] && kill -0 "$old" 2>/dev/null; then die "another run (pid $old) is active"; fi
    log "removing stale lock of pid ${old:-?}"; rm -rf "$LOCK"; mkdir "$LOCK"
  fi
  echo $$ >"$LOCK/pid"; LOCKED=1
}

# ----------------------------------------------------------------------------- openvpc up
wait_file() {  # wait_file PATH SECONDS: until PATH exists and is not empty
  local _
  for _ in $(seq $(($2 * 10))); do [ -s "$1" ] && return 0; sleep 0.1; done
  return 1
}

aws_ec2() {  # aws_ec2 ARGS...: JSON on stdout
  AWS_SHARED_CREDENTIALS_FILE=$WORK/unit/data/admin-credentials AWS_CONFIG_FILE=$WORK/unit/aws-config \
    AWS_PAGER='' AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1 AWS_DEFAULT_REGION=us-east-1 \
    timeout 60 "$AWS" ec2 --endpoint-url "$ENDPOINT" --region us-east-1 --output json "$@"
}

tap_in() {  # tap_in NS: the router's TAP inside the instance namespace
  ip -n "$1" -o link show 2>/dev/null | awk -F': ' -v p="$TAP_PREFIX" 'index($2, p) == 1 {sub(/@.*/, "", $2); print $2; exit}'
}

DHCLIENT_SCRIPT='#!/bin/sh
# Applies a lease without touching the host resolv.conf or hostname.
case "$reason" in
  PREINIT) ip link set dev "$interface" up ;;
  BOUND|RENEW|REBIND|REBOOT)
    ip addr add "$new_ip_address/$new_subnet_mask" dev "$interface"
    [ -n "$new_interface_mtu" ] && ip link set dev "$interface" mtu "$new_interface_mtu"
    for r in $new_routers; do ip route add default via "$r" dev "$interface"; break; done ;;
esac
exit 0'

openvpc_up() {
  local u=$WORK/unit
  mkdir -p "$u/data"
  printf '[default]\nregion = us-east-1\n' >"$u/aws-config"
  "$CONTROLLER_BIN" --data-dir "$u/data" --port 0 --port-file "$u/api-port" \
    --mapping-port 0 --mapping-port-file "$u/mapping-port" \
    --host "h1=$UNDERLAY_1" --host "h2=$UNDERLAY_2" >"$u/controller.log" 2>&1 &
  CONTROLLER_PID=$!
  echo "$CONTROLLER_PID" >"$WORK/pids-controller"
  wait_file "$u/api-port" 20 && wait_file "$u/mapping-port" 20 && wait_file "$u/data/admin-credentials" 20 \
    || { tail -5 "$u/controller.log" >&2; die "controller did not start"; }
  ENDPOINT=http://127.0.0.1:$(cat "$u/api-port")
  local h addr cpus
  for h in h1 h2; do
    case $h in h1) addr=$UNDERLAY_1 cpus=${ROUTER_CPUS%%,*} ;; h2) addr=$UNDERLAY_2 cpus=${ROUTER_CPUS##*,} ;; esac
    mkdir -p "$u/state-$h"
    # Mutual TLS to the mapping service, as by default: the host's certificate from the CA.
    "$CLI_BIN" host add --data-dir "$u/data" --id $h --role router --out "$u/tls-$h" \
      || die "cannot issue $h its certificate"
    "$ROUTER_BIN" --host-id $h --underlay-ip $addr --controller "127.0.0.1:$(cat "$u/mapping-port")" \
      --tls-dir "$u/tls-$h" --tap-prefix $TAP_PREFIX --state-dir "$u/state-$h" --log-level info \
      ${cpus:+--cpus "$cpus"} >"$u/router-$h.log" 2>&1 &
    ROUTER_PIDS+=($!)
    echo $! >>"$WORK/pids-routers"
  done
  local vpc s1 s2 sg out id
  vpc=$(aws_ec2 create-vpc --cidr-block 10.0.0.0/16 | jq -er .Vpc.VpcId)
  s1=$(aws_ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.1.0/24 | jq -er .Subnet.SubnetId)
  s2=$(aws_ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.2.0/24 | jq -er .Subnet.SubnetId)
  sg=$(aws_ec2 create-security-group --vpc-id "$vpc" --group-name bench --description bench | jq -er .GroupId)
  # The peers' rule set: new TCP 80, TCP 5201, UDP 5201 in; replies by conntrack; the rest
  # (TCP 22, ICMP) dropped. Egress: the default allow-all of a new group.
  aws_ec2 authorize-security-group-ingress --group-id "$sg" --ip-permissions \
    'IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=10.0.0.0/16}]' \
    'IpProtocol=tcp,FromPort=5201,ToPort=5201,IpRanges=[{CidrIp=10.0.0.0/16}]' \
    'IpProtocol=udp,FromPort=5201,ToPort=5201,IpRanges=[{CidrIp=10.0.0.0/16}]' >/dev/null
  for h in h1 h2; do
    local subnet=$s1 ip=$A_IP
    [ $h = h2 ] && subnet=$s2 ip=$B_IP
    out=$(aws_ec2 run-instances --image-id ami-12345678 --subnet-id "$subnet" --private-ip-address "$ip" \
          --security-group-ids "$sg" --placement "HostId=$h")
    id=$(jq -er '.Instances[0].InstanceId' <<<"$out")
    INSTANCES+=("$id"); echo "$id" >>"$WORK/instances"
  done
  VM_A=${INSTANCES[0]} VM_B=${INSTANCES[1]}
  local _ ns
  for ns in "$VM_A" "$VM_B"; do
    for _ in $(seq 300); do [ -n "$(tap_in "$ns")" ] && break; sleep 0.1; done
    [ -n "$(tap_in "$ns")" ] || { tail -5 "$u"/router-*.log >&2; die "instance $ns never got its TAP"; }
  done
  echo "$DHCLIENT_SCRIPT" >"$u/dhclient-script"; chmod 755 "$u/dhclient-script"
  for ns in "$VM_A" "$VM_B"; do
    local tap; tap=$(tap_in "$ns")
    nsx "$ns" timeout 60 dhclient -1 -sf "$u/dhclient-script" -lf "$u/$ns.leases" \
      -pf "$u/dhclient-$ns.pid" "$tap" >"$u/dhclient-$ns.log" 2>&1 || die "DHCP failed in $ns"
    ip -n "$ns" link set "$tap" mtu $MTU   # the peers' instance MTU
    # The lease is applied; stop dhclient so that, like the peers' statically addressed
    # instances, no packet socket (AF_PACKET + BPF filter) sees every frame of the load.
    stop_pids 5 "$(cat "$u/dhclient-$ns.pid" 2>/dev/null)"
  done
  ip -n "$VM_A" -o -4 addr | grep -q "inet $A_IP/" || die "vmA has no $A_IP"
}

# ----------------------------------------------------------------------------- services, checks, loads (as baseline.sh)
start_nginx() {
  local d=$WORK/unit/nginx
  mkdir -p "$d/www" "$d/tmp"
  head -c 1024 /dev/zero | tr '\0' 'x' >"$d/www/index.html"
  cat >"$d/nginx.conf" <<EOF
user root;
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  default_type text/html;
  sendfile on;
  keepalive_requests 1000;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  server {
    listen $B_IP:80;
    listen $B_IP:22;   # decoy: the security group, not a missing listener, blocks 22
    root $d/www;
    index index.html;
  }
}
EOF
  nsx "$VM_B" nginx -p "$d" -e "$d/error.log" -c "$d/nginx.conf" >"$d/stdout.log" 2>&1 &
  wait_listen "$VM_B" 80 || { cat "$d/error.log" >&2; return 1; }
}

wait_listen() {
  local _
  for _ in $(seq 50); do nsx "$1" ss -Hltn "sport = :$2" | grep -q . && return 0; sleep 0.1; done
  log "nothing listens on $1 tcp/$2"; return 1
}

tcp_connects() { nsx "$VM_A" timeout "$2" bash -c "exec 3<>/dev/tcp/$B_IP/$1" 2>/dev/null; }

wait_reachable() {
  local _
  for _ in $(seq 15); do tcp_connects 80 1 && return 0; done
  log "vmA cannot reach $B_IP:80"; return 1
}

sg_check() {
  if tcp_connects 22 2; then log "openvpc: TCP 22 connected -- security group NOT enforced"; return 1; fi
  if nsx "$VM_A" ping -c1 -W1 -q $B_IP >/dev/null 2>&1; then
    log "openvpc: ICMP echo answered -- security group NOT enforced"; return 1
  fi
  tcp_connects 80 2 || { log "openvpc: TCP 80 blocked after negative check"; return 1; }
  echo "22+icmp-blocked"
}

iperf_server() {
  nsx "$VM_B" timeout $GUARD iperf3 -s -1 -B $B_IP -p 5201 >"$WORK/unit/iperf3-server.log" 2>&1 &
  IPERF_SRV=$!
  wait_listen "$VM_B" 5201
}

# measure_tcp: prints Gbit/s-received retransmits client-cpu% server-cpu%
measure_tcp() {
  local j=$WORK/unit/tcp.json
  iperf_server
  nsx "$VM_A" timeout $GUARD iperf3 -c $B_IP -p 5201 -t "$DUR" --connect-timeout 3000 -J >"$j" || true
  wait "$IPERF_SRV" 2>/dev/null || true
  jq -er '"\(.end.sum_received.bits_per_second / 1e9) \(.end.sum_sent.retransmits) \(.end.cpu_utilization_percent.host_total) \(.end.cpu_utilization_percent.remote_total)"' "$j" \
    || { log "iperf3 TCP: $(jq -r '.error // empty' "$j" 2>/dev/null)"; return 1; }
}

# measure_udp: prints kpps-received kpps-sent client-cpu% server-cpu%
measure_udp() {
  local j=$WORK/unit/udp.json
  iperf_server
  nsx "$VM_A" timeout $GUARD iperf3 -c $B_IP -p 5201 -u -l 64 -b 0 -t "$DUR" --connect-timeout 3000 -J >"$j" || true
  wait "$IPERF_SRV" 2>/dev/null || true
  jq -er '"\(.end.sum_received.bytes / 64 / .end.sum_received.seconds / 1000) \(.end.sum_sent.packets / .end.sum_sent.seconds / 1000) \(.end.cpu_utilization_percent.host_total) \(.end.cpu_utilization_percent.remote_total)"' "$j" \
    || { log "iperf3 UDP: $(jq -r '.error // empty' "$j" 2>/dev/null)"; return 1; }
}

to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 }
    else if (v ~ /m$/) { sub(/m$/, "", v); print v * 60000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 }
    else exit 1 }'
}

measure_wrk() {  # prints: req/s p99-ms errors
  local o=$WORK/unit/wrk.txt rps p99 errs
  nsx "$VM_A" timeout $GUARD wrk -t1 -c32 -d"${DUR}"s --latency "http://$B_IP/" >"$o" 2>&1 || true
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$o")
  p99=$(awk '$1 == "99%" {print $2}' "$o")
  [ -n "$rps" ] && [ -n "$p99" ] || { log "wrk output unusable: $(tr '\n' ' ' <"$o")"; return 1; }
  errs=$(awk '/Socket errors:/ {sub(/.*errors:/, ""); gsub(/[^0-9 ]/, " "); for (i = 1; i <= NF; i++) s += $i}
              /Non-2xx or 3xx responses:/ {s += $NF} END {print s + 0}' "$o")
  echo "$rps $(to_ms "$p99") $errs"
}

# Where UDP datagrams are lost: the sender's TAP queue (router h1 not reading: TX dropped in
# vmA), the underlay socket buffers (root netns UDP RcvbufErrors), the receiver's TAP
# (RX dropped in vmB) and the server's socket (vmB UDP RcvbufErrors).
loss_counters() {  # prints: tapA_tx_dropped root_udp_rcvbuf_errors tapB_rx_dropped vmB_udp_rcvbuf_errors
  local ta tb
  ta=$(tap_in "$VM_A") tb=$(tap_in "$VM_B")
  echo "$(ip -n "$VM_A" -s -j link show dev "$ta" | jq '.[0].stats64.tx.dropped')" \
       "$(awk '/^Udp:/ && ++n == 2 {print $6}' /proc/net/snmp)" \
       "$(ip -n "$VM_B" -s -j link show dev "$tb" | jq '.[0].stats64.rx.dropped')" \
       "$(nsx "$VM_B" awk '/^Udp:/ && ++n == 2 {print $6}' /proc/net/snmp)"
}
loss_delta() {  # loss_delta "BEFORE" "AFTER"
  awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ")
    printf "lost at: vmA TAP queue (router h1 too slow) %d, underlay socket buffers %d, vmB TAP rx %d, iperf3 server socket %d",
      y[1] - x[1], y[2] - x[2], y[3] - x[3], y[4] - x[4] }'
}

router_counter() {  # router_counter HOST NAME: counters.json router.NAME (0 if not there)
  jq -r --arg n "$2" '.router[$n] // 0' "$WORK/unit/state-$1/counters.json" 2>/dev/null || echo 0
}
link_counter() {  # link_counter NS DEV tx|rx packets|dropped
  ip -n "$1" -s -j link show dev "$2" | jq ".[0].stats64.$3.$4"
}

# measure_pps: see --pps above. Prints: offered-kpps h1-read-kpps delivered-kpps
# h1-ns/frame h2-ns/frame h1-frames/TAP-syscall
measure_pps() {
  local ta tb gw mac cfg=$WORK/unit/pps.cfg t0 t1 v0 v1
  ta=$(tap_in "$VM_A") tb=$(tap_in "$VM_B")
  nsx "$VM_A" ping -c1 -W1 -q 10.0.1.1 >/dev/null 2>&1 || true  # the gateway's MAC, by ARP
  gw=$(ip -n "$VM_A" -j neigh show dev "$ta" | jq -r '[.[] | select(.dst == "10.0.1.1")][0].lladdr // empty')
  mac=$(ip -n "$VM_A" -j link show dev "$ta" | jq -r '.[0].address')
  [ -n "$gw" ] || { log "pps: vmA has no neighbour entry for its gateway"; return 1; }
  echo "{ eth(da=$gw, sa=$mac, type=0x0800), ipv4(sa=$A_IP, da=$B_IP, ttl=64), udp(sp=40000, dp=5201), fill(0x5a, 64) }" >"$cfg"
  pps_sample() {
    echo "$(date +%s.%N) $(link_counter "$VM_A" "$ta" tx packets) $(link_counter "$VM_A" "$ta" tx dropped)" \
         "$(link_counter "$VM_B" "$tb" rx packets) $(proc_ticks "${ROUTER_PIDS[0]}") $(proc_ticks "${ROUTER_PIDS[1]}")" \
         "$(router_counter h1 eni_frames_received) $(router_counter h1 tap_io_submits)"
  }
  sleep 1.2; v0=$(pps_sample)   # counters.json is written every second
  # Leave the machine's socket memory and IRQ affinity alone; SIGINT ends it cleanly.
  nsx "$VM_A" timeout -s INT "$DUR" trafgen -o "$ta" -i "$cfg" -P 1 --no-sock-mem --notouch-irq -C >"$WORK/unit/trafgen.log" 2>&1 || true
  sleep 1.2; v1=$(pps_sample)
  awk -v a="$v0" -v b="$v1" -v hz="$(getconf CLK_TCK)" -v dur="$DUR" 'BEGIN {
    split(a, x, " "); split(b, y, " ")
    offered = (y[2] - x[2]) + (y[3] - x[3]); read = y[7] - x[7]; delivered = y[4] - x[4]
    h1 = (y[5] - x[5]) / hz * 1e9; h2 = (y[6] - x[6]) / hz * 1e9; calls = y[8] - x[8]
    printf "%.1f %.1f %.1f %.0f %.0f %.1f\n", offered / dur / 1000, read / dur / 1000, delivered / dur / 1000,
      (read > 0 ? h1 / read : 0), (delivered > 0 ? h2 / delivered : 0), (calls > 0 ? read / calls : 0) }'
}

router_counters_note() {  # drops the routers counted (non-zero counters with drop/fail/full)
  local h f
  for h in h1 h2; do
    f=$WORK/unit/state-$h/counters.json
    [ -f "$f" ] || continue
    jq -r --arg h $h '[paths(numbers) as $p | {k: ($p | map(tostring) | join(".")), v: getpath($p)}
        | select(.v > 0 and (.k | test("^enis[.]") | not) and (.k | test("drop|fail|full|error|exceeded|oversize")))] | map("\(.k)=\(.v)") | join(" ")
        | if . == "" then empty else "\($h): " + . end' "$f" 2>/dev/null || true
  done
}

# ----------------------------------------------------------------------------- one openvpc unit
run_openvpc_unit() {  # run_openvpc_unit REP
  local rep=$1 t0 sg tcp udp wrk la0
  t0=$(date +%s.%N) la0=$(loadavg)
  mkdir -p "$WORK/unit"
  openvpc_up
  start_nginx
  wait_reachable
  sg=$(sg_check)
  log "openvpc rep $rep: up in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s, checks: $sg"
  tcp=$(measure_tcp);  log "openvpc rep $rep: TCP   $tcp  (Gbit/s, retransmits, client/server CPU %)"
  local l0 l1; l0=$(loss_counters)
  udp=$(measure_udp);  log "openvpc rep $rep: UDP64 $udp  (kpps received, kpps sent, client/server CPU %)"
  l1=$(loss_counters); log "openvpc rep $rep: UDP64 $(loss_delta "$l0" "$l1")"
  echo "openvpc rep $rep: UDP64 $(loss_delta "$l0" "$l1")" >>"$WORK/notes.txt"
  wrk=$(measure_wrk);  log "openvpc rep $rep: HTTP  $wrk  (req/s, p99 ms, errors)"
  if [ "$PPS" = 1 ]; then
    local pps; pps=$(measure_pps) || pps=FAILED
    log "openvpc rep $rep: PPS   $pps  (offered, h1 read, delivered kpps; h1, h2 ns/frame; h1 frames/TAP call)"
    echo "openvpc rep $rep: trafgen UDP64 one flow: offered/h1 read/delivered kpps, h1/h2 ns per frame, h1 frames per TAP call: $pps" >>"$WORK/notes.txt"
  fi
  local drops; drops=$(router_counters_note | tr '\n' ' ')
  [ -n "$drops" ] && log "openvpc rep $rep: router counters: $drops"
  set -- $tcp; local tcp2="$1 $2"; set -- $udp; local udp2="$1 $2"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' openvpc "$rep" "$tcp2" "$udp2" "$wrk" "$sg" | tr ' ' '\t' >>"$WORK/results.tsv"
  echo "openvpc rep $rep: load average before $la0, after $(loadavg); $drops" >>"$WORK/notes.txt"
}

# ----------------------------------------------------------------------------- profile unit
cpu_ticks() { awk '/^cpu / {print $2+$3, $4, $5+$6, $7, $8}' /proc/stat; }  # user system idle irq softirq
proc_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

profile_load() {  # profile_load tcp|udp: one load under perf record, CPU split
  local kind=$1 p=$WORK/profile c0 c1 r0=() r1=() pid line
  mkdir -p "$p"
  iperf_server
  local l0; l0=$(loss_counters)
  c0=$(cpu_ticks); for pid in "${ROUTER_PIDS[@]}"; do r0+=("$(proc_ticks "$pid")"); done
  perf record -q -e cpu-clock -F 999 -g -a -o "$p/$kind.data" -- sleep "$DUR" >"$p/perf-$kind.log" 2>&1 &
  local perf_pid=$!
  if [ "$kind" = tcp ]; then
    line=$(nsx "$VM_A" timeout $GUARD iperf3 -c $B_IP -p 5201 -t "$DUR" --connect-timeout 3000 -J >"$p/$kind.json"; jq -r '"\(.end.sum_received.bits_per_second / 1e9) Gbit/s, client CPU \(.end.cpu_utilization_percent.host_total)%, server CPU \(.end.cpu_utilization_percent.remote_total)%"' "$p/$kind.json")
  else
    line=$(nsx "$VM_A" timeout $GUARD iperf3 -c $B_IP -p 5201 -u -l 64 -b 0 -t "$DUR" --connect-timeout 3000 -J >"$p/$kind.json"; jq -r '"\(.end.sum_received.bytes / 64 / .end.sum_received.seconds / 1000) kpps received of \(.end.sum_sent.packets / .end.sum_sent.seconds / 1000) sent, client CPU \(.end.cpu_utilization_percent.host_total)%, server CPU \(.end.cpu_utilization_percent.remote_total)%"' "$p/$kind.json")
  fi
  c1=$(cpu_ticks); for pid in "${ROUTER_PIDS[@]}"; do r1+=("$(proc_ticks "$pid")"); done
  wait "$perf_pid" 2>/dev/null || true
  wait "$IPERF_SRV" 2>/dev/null || true
  {
    echo "## $kind: $line"
    [ "$kind" = udp ] && loss_delta "$l0" "$(loss_counters)" && echo
    echo "load average $(loadavg)"
    awk -v a="$c0" -v b="$c1" -v r1a="${r0[0]}" -v r1b="${r1[0]}" -v r2a="${r0[1]}" -v r2b="${r1[1]}" 'BEGIN {
      split(a, x, " "); split(b, y, " "); t = 0
      for (i = 1; i <= 5; i++) { d[i] = y[i] - x[i]; t += d[i] }
      if (t == 0) t = 1
      printf "CPU over the load (both vCPUs = 100%%): user %.0f%%  system %.0f%%  irq+softirq %.0f%%  idle %.0f%%\n",
        100 * d[1] / t, 100 * d[2] / t, 100 * (d[4] + d[5]) / t, 100 * d[3] / t
      printf "router h1 (client side) %.0f%% of one vCPU, router h2 (server side) %.0f%% (utime+stime, /proc/PID/stat)\n",
        100 * (r1b - r1a) / (t / 2), 100 * (r2b - r2a) / (t / 2) }'
    local data=$p/$kind.data
    echo "### perf: CPU samples by command (all CPUs, all processes; 'swapper' = idle)"
    perf report -i "$data" --no-children --sort comm --stdio -g none 2>/dev/null | grep -v '^#' | grep . | sed -E 's/ +- +- *$//; s/ +$//' | head -10
    echo "### perf: the routers, kernel vs user space (% of router samples)"
    perf report -i "$data" --no-children --comms openvpc-router --percentage relative --sort symbol --stdio -g none \
      2>/dev/null | awk '$2 == "[k]" {k += $1} $2 == "[.]" {u += $1} END {printf "kernel %.1f%%  user space %.1f%%\n", k, u}'
    echo "### perf: top symbols in the routers (perf report --no-children --sort symbol, % of router samples)"
    perf report -i "$data" --no-children --comms openvpc-router --percentage relative --sort symbol --stdio -g none \
      2>/dev/null | grep -v '^#' | grep . | sed -E 's/ +- +- *$//; s/ +$//' | head -30
    echo "### perf: router time by entry point (--children, inclusive, % of router samples)"
    perf report -i "$data" --children --comms openvpc-router --percentage relative --sort symbol --stdio -g none \
      2>/dev/null | grep -E '\] (do_readv|do_writev|__sys_sendmmsg|__sys_recvmmsg|do_epoll_wait|__x64_sys_poll|do_sys_poll|openvpc::dataplane::Pipeline::process|openvpc::router::Worker::emit|openvpc::io::complete_checksum|__local_bh_enable_ip|net_rx_action|tcp_v4_rcv|ip_local_out)( |$)' \
      | sed -E 's/ +- +- *$//; s/ +$//' | head -20
    echo "### perf: top symbols in iperf3 (client and server, % of iperf3 samples)"
    perf report -i "$data" --no-children --comms iperf3 --percentage relative --sort symbol --stdio -g none \
      2>/dev/null | grep -v '^#' | grep . | sed -E 's/ +- +- *$//; s/ +$//' | head -12
    echo
  } >>"$OUT_PROFILE.tmp"
}

run_profile_unit() {
  mkdir -p "$WORK/unit"
  openvpc_up
  start_nginx
  wait_reachable
  {
    echo "# openvpc profile  $(date -Is)  $(revision)  build=$BUILD"
    echo "# perf record -e cpu-clock -F 999 -g -a during one ${DUR}s load each; routers: ${#ROUTER_PIDS[@]}"
    echo
  } >"$OUT_PROFILE.tmp"
  profile_load tcp
  profile_load udp
  local note; note=$(router_counters_note | tr '\n' ' ')
  echo "router drop/failure counters after both loads: ${note:-none}" >>"$OUT_PROFILE.tmp"
  mv "$OUT_PROFILE.tmp" "$OUT_PROFILE"
  log "profile written to $OUT_PROFILE"
}

# ----------------------------------------------------------------------------- the peers
run_baseline_round() {  # run_baseline_round REP: one round of baseline.sh (private copy)
  local rep=$1 b=$WORK/baseline
  mkdir -p "$b"
  cp "$PEERS_DIR/baseline.sh" "$PEERS_DIR/tapfwd.cpp" "$b/"
  # same load time as ours; the copy writes its last-run.txt beside itself
  sed -i "s/^DUR=5 /DUR=$DUR /" "$b/baseline.sh"
  rm -f "$b/last-run.txt"
  set +e
  bash "$b/baseline.sh" --reps 1 --peers "$PEERS" >"$b/round-$rep.out" 2>"$b/round-$rep.log" &
  BASELINE_PID=$!
  wait "$BASELINE_PID"
  local rc=$?
  BASELINE_PID=
  set -e
  grep -E '^\[.*(rep 1: (TCP|UDP|HTTP)|FAILED|ERROR)' "$b/round-$rep.log" | sed "s/rep 1/rep $rep/" >&2 || true
  [ $rc -eq 0 ] || log "baseline round $rep exited $rc"
  # "# per repetition" lines: #  peer rep tcp retrans udp_rx udp_tx rps p99 errs checks
  [ -f "$b/last-run.txt" ] && awk -v r="$rep" '/^# per repetition/ {on = 1; next}
      on && NF >= 11 && $1 == "#" { printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", $2, r, $4, $5, $6, $7, $8, $9, $10, $11 }' \
      "$b/last-run.txt" >>"$WORK/results.tsv"
  [ -f "$b/last-run.txt" ] && sed -n 3p "$b/last-run.txt" >"$WORK/versions.txt"
  echo "peers round $rep: load average after $(loadavg)" >>"$WORK/notes.txt"
}

# ----------------------------------------------------------------------------- report
revision() {  # the commit the binaries were built from: git of the build's source dir, or its REVISION file
  local src
  src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$BUILD/CMakeCache.txt" 2>/dev/null)
  if [ -n "$src" ] && git -C "$src" rev-parse HEAD >/dev/null 2>&1; then
    echo "$(git -C "$src" rev-parse HEAD)$(git -C "$src" diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes')"
  elif [ -n "$src" ] && [ -f "$src/REVISION" ]; then
    cat "$src/REVISION"
  else
    echo unknown
  fi
}
median() {
  sort -g | awk '{a[NR] = $1} END {
    if (NR == 0) print "-"
    else if (NR % 2) print a[(NR + 1) / 2]
    else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
fmt() { if [ "$2" = - ]; then echo FAIL; else printf "%.${1}f" "$2"; fi; }
col_median() { awk -F'\t' -v p="$1" -v c="$2" '$1 == p {print $c}' "$WORK/results.tsv" | median; }

report() {
  local r=$WORK/results.tsv peer names
  names="openvpc"; [ -z "$ONLY" ] && names+=" $(echo "$PEERS" | tr ',' ' ')"
  {
    echo "# openvpc vs peers  $(date -Is)  host=$(uname -n)  kernel=$(uname -r)  vcpus=$(nproc)  runtime=${1}s"
    echo "# openvpc $(revision)  build=$BUILD"
    echo "# reps=$REPS  load=${DUR}s each  instance MTU=$MTU  nice=$NICE  rounds: openvpc, then the peers (baseline.sh --reps 1)"
    [ -f "$WORK/versions.txt" ] && cat "$WORK/versions.txt"
    echo "# medians over the repetitions that succeeded (ok/reps in the last column)"
    printf '%-18s | %10s | %19s | %10s | %10s | %5s\n' peer "TCP Gbit/s" "UDP64 kpps received" "wrk req/s" "wrk p99 ms" "ok"
    printf '%s\n' "-------------------+------------+---------------------+------------+------------+------"
    for peer in $names; do
      local n vals=() col
      n=$(awk -F'\t' -v p="$peer" '$1 == p' "$r" | wc -l)
      for col in 3 5 7 8; do vals+=("$(col_median "$peer" $col)"); done
      printf '%-18s | %10s | %19s | %10s | %10s | %5s\n' "$peer" \
        "$(fmt 2 "${vals[0]}")" "$(fmt 1 "${vals[1]}")" "$(fmt 0 "${vals[2]}")" "$(fmt 2 "${vals[3]}")" "$n/$REPS"
    done
    echo "# ratios openvpc/peer of the medians (p99: peer/openvpc, so > 1 means openvpc is better everywhere):"
    for peer in $names; do
      [ "$peer" = openvpc ] && continue
      awk -v p="$peer" -v t="$(col_median openvpc 3)" -v u="$(col_median openvpc 5)" -v q="$(col_median openvpc 7)" -v l="$(col_median openvpc 8)" \
          -v T="$(col_median "$peer" 3)" -v U="$(col_median "$peer" 5)" -v Q="$(col_median "$peer" 7)" -v L="$(col_median "$peer" 8)" '
        function ratio(a, b) { return (a == "-" || b == "-" || b + 0 == 0) ? "  -  " : sprintf("%5.2f", a / b) }
        BEGIN { printf "#   openvpc/%-17s tcp %s  udp %s  req/s %s  p99 %s\n", p, ratio(t, T), ratio(u, U), ratio(q, Q), ratio(L, l) }'
    done
    echo "# spread over repetitions (min..max):"
    for peer in $names; do
      awk -F'\t' -v p="$peer" '$1 == p {
          n++; for (c = 3; c <= 8; c++) { v = $c + 0; if (n == 1 || v < lo[c]) lo[c] = v; if (n == 1 || v > hi[c]) hi[c] = v } }
        END { if (n) printf "#   %-17s tcp %.2f..%.2f  udp %.1f..%.1f  req/s %.0f..%.0f  p99 %.2f..%.2f\n", p, lo[3], hi[3], lo[5], hi[5], lo[7], hi[7], lo[8], hi[8] }' "$r"
    done
    echo "# UDP64 = iperf3 -u -l 64 -b 0; 'received' counts what reached the server's socket."
    echo "# openvpc: 2 routers (1 worker each) + controller on the same 2 vCPUs; underlay 127.0.5.2/.3 on lo."
    echo
    echo "# per repetition: peer rep tcp_gbps tcp_retrans udp_rx_kpps udp_tx_kpps wrk_rps wrk_p99_ms wrk_errors checks"
    sort -k1,1 -k2,2n "$r" | awk -F'\t' '{printf "#   %-17s %s  %6.2f %6s  %7.1f %7.1f  %8.0f %7.2f %s  %s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10}'
    echo "# notes:"
    sed 's/^/#   /' "$WORK/notes.txt" 2>/dev/null || true
  } | tee "$OUT_TXT"
}

# run_unit FUNCTION ARGS...: in a background subshell with errexit; `wait` returns at once
# when INT/TERM arrives, so on_signal can stop the unit instead of waiting for it.
run_unit() {
  local rc
  set +e
  ( set -e; trap - EXIT; "$@" ) &
  UNIT_PID=$!
  wait "$UNIT_PID"
  rc=$?
  UNIT_PID=
  set -e
  return $rc
}

# ----------------------------------------------------------------------------- main
usage() { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; }

main() {
  while [ $# -gt 0 ]; do
    case $1 in
      --reps) REPS=${2:?}; shift 2 ;;
      --only) ONLY=${2:?}; shift 2 ;;
      --load-seconds) DUR=${2:?}; shift 2 ;;
      --peers) PEERS=${2:?}; shift 2 ;;
      --no-profile) PROFILE=0; shift ;;
      --pps) PPS=1; shift ;;
      --nice) NICE=${2:?}; shift 2 ;;
      --keep-logs) KEEP_LOGS=1; shift ;;
      --router-cpus) ROUTER_CPUS=${2:?}; shift 2 ;;
      -h|--help) usage; exit 0 ;;
      *) usage >&2; exit 2 ;;
    esac
  done
  [[ $REPS =~ ^[1-9][0-9]*$ ]] || die "--reps wants a positive integer"
  [[ $DUR =~ ^[1-9][0-9]?$ ]] || die "--load-seconds wants 1..99"
  [ -z "$ONLY" ] || [ "$ONLY" = openvpc ] || die "--only knows only 'openvpc'"
  [ "$(id -u)" = 0 ] || die "must run as root"
  [ -x "$CONTROLLER_BIN" ] && [ -x "$ROUTER_BIN" ] && [ -x "$CLI_BIN" ] || die "no binaries in $BUILD (set OPENVPC_BUILD)"
  local t
  # The project's own packages, then what only this benchmark and the peers need (Debian).
  bash "$(dirname "${BASH_SOURCE[0]}")/../../scripts/install-deps" >/dev/null
  local extra=(wrk jq linux-perf openvswitch-switch nftables g++) missing=()
  for t in "${extra[@]}"; do dpkg -s "$t" >/dev/null 2>&1 || missing+=("$t"); done
  if [ ${#missing[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" \
      >/dev/null || die "cannot install ${missing[*]}"
  fi
  if [ "$PPS" = 1 ] && ! command -v trafgen >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends netsniff-ng \
      >/dev/null || die "cannot install netsniff-ng (trafgen) for --pps"
  fi
  for t in ip ss iperf3 wrk nginx jq dhclient timeout perf "$AWS"; do
    command -v "$t" >/dev/null || die "missing tool: $t"
  done
  [ -n "$ONLY" ] || [ -f "$PEERS_DIR/baseline.sh" ] || die "no $PEERS_DIR/baseline.sh (OPENVPC_PEERS_DIR)"
  GUARD=$((DUR + 25))
  [[ $NICE =~ ^-?[0-9]+$ ]] || die "--nice wants an integer"
  [ -z "$ROUTER_CPUS" ] || [[ $ROUTER_CPUS =~ ^[0-9]+,[0-9]+$ ]] || die "--router-cpus wants C1,C2"
  [ "$NICE" = 0 ] || renice -n "$NICE" -p $$ >/dev/null   # inherited by all we start

  acquire_lock
  WORK=$(mktemp -d /tmp/openvpc-e2e-bench.XXXXXX)
  trap on_exit EXIT
  trap on_signal INT TERM
  [ -z "$(our_links)" ] || die "links named $TAP_PREFIX* exist already: $(our_links | tr '\n' ' ')"
  : >"$WORK/results.tsv"

  local start=$SECONDS rep rc=0 failed=0
  log "load average at start: $(loadavg)"
  for rep in $(seq "$REPS"); do
    log "=== openvpc, repetition $rep/$REPS"
    rc=0; run_unit run_openvpc_unit "$rep" || rc=$?
    [ $rc -eq 0 ] || { failed=1; log "openvpc rep $rep FAILED (rc=$rc)"; tail -n 5 "$WORK"/unit/*.log 2>/dev/null | sed 's/^/    /' >&2 || true; }
    openvpc_down "openvpc-$rep"
    if [ -z "$ONLY" ]; then
      log "=== peers ($PEERS), repetition $rep/$REPS"
      run_baseline_round "$rep" || failed=1
    fi
  done
  if [ "$PROFILE" = 1 ]; then
    log "=== openvpc profile unit (not in the table)"
    rc=0; run_unit run_profile_unit || rc=$?
    [ $rc -eq 0 ] || { failed=1; log "profile unit FAILED (rc=$rc)"; }
    openvpc_down profile
    rm -f "$OUT_PROFILE.tmp"
  fi
  echo
  report $((SECONDS - start))
  log "total runtime $((SECONDS - start)) s; table in $OUT_TXT"
  return $failed
}

main "$@"
