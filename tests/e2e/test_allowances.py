"""Per-ENI allowances (issue 15): an ENI limited to N packets/s or M Mbit/s gets that much and
the router counts the excess under ENA's names on /metrics.

Two routers (router_fixtures.start_two_hosts): instance A (ENI 101) on h1, unlimited, and
instance B (ENI 201) on h2, whose router runs with the allowance under test. Traffic A -> B is
over B's inbound allowance (pps_allowance_exceeded / bw_in_allowance_exceeded on h2), traffic
B -> A over its outbound one (bw_out_allowance_exceeded). Then ping's p99 from A to B, idle
and under a bulk TCP iperf3 on the limited ENI, is printed: into B (its inbound allowance, a
policer) and out of B (its outbound one: the fair queue with CoDel by default, the fair queue
alone with --eni-bandwidth-queue fair, or the policer alone with --eni-bandwidth-queue none); the
issue's 3x goal is asserted for both queues. Last, a bulk TCP flow out of B, with and without ECN:
CoDel keeps its own queueing delay (its smoothed RTT as `ss` reads it) near its target, dropping
(bw_out_queue_delay) or marking CE (ce_marked); the fair queue alone lets it fill the quarter
second of the allowance the queue may hold. Needs root, dhclient, iperf3, ping, ss. The
allowances are per worker: one worker each, so per ENI.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

import prometheus_text
from conftest import require_binary, require_root_and_tools
from router_fixtures import in_ns, start_two_hosts, stop_two_hosts, two_host_programs

PYTHON = "/usr/bin/python3"
A_IP, B_IP = "10.0.1.5", "10.0.2.7"
UDP_PORT = 9000
IPERF_PORT = 5201
HOSTS = [
    {"underlay": "127.0.21.2", "eni": 101, "mac": "02:00:00:00:01:01", "ip": A_IP, "subnet": 11},
    {"underlay": "127.0.21.3", "eni": 201, "mac": "02:00:00:00:02:01", "ip": B_IP, "subnet": 12},
]
PPS_ALLOWANCE = 2000
MBITS_ALLOWANCE = 20
SECONDS = 3.0  # measured, after
WARMUP = 1.0  # seconds in which the bucket's burst (a quarter of a second) is spent

# Run in B: counts UDP datagrams to UDP_PORT until 1.5 s pass without one; prints the count,
# and the count and span of those that came after the first WARMUP seconds (the bucket's
# burst is spent by then).
RECEIVER = r"""
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 24)
s.bind(("%s", %d))
print("ready", flush=True)
s.settimeout(30)
count = 0
try:
    s.recv(2048)
    count = 1
    first = last = time.monotonic()
    warm_count, warm_at = 0, None
    s.settimeout(1.5)
    while True:
        s.recv(2048)
        last = time.monotonic()
        count += 1
        if warm_at is None and last - first >= %f:
            warm_count, warm_at = count, last
except socket.timeout:
    pass
print(count, count - warm_count, last - warm_at, flush=True)
""" % (B_IP, UDP_PORT, WARMUP)

# Run in A: sends argv[1] datagrams/s of 64 bytes to B for argv[2] seconds, paced in 10 ms
# slices; prints how many it sent and how long it took.
SENDER = r"""
import socket, sys, time
rate, seconds = int(sys.argv[1]), float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload = b"x" * 64
per_slice = rate // 100
sent = 0
start = time.monotonic()
slice_at = start
while slice_at - start < seconds:
    for _ in range(per_slice):
        s.sendto(payload, ("%s", %d))
        sent += 1
    slice_at += 0.01
    pause = slice_at - time.monotonic()
    if pause > 0:
        time.sleep(pause)
print(sent, time.monotonic() - start, flush=True)
""" % (B_IP, UDP_PORT)


# "bandwidth": the router's default outbound queue (--eni-bandwidth-queue fq_codel, a shaper),
# "bandwidth-fair": the same without CoDel, "bandwidth-none": the policer alone
# (--eni-bandwidth-queue none), for the ping and RTT comparisons.
QUEUES = {"bandwidth": "fq_codel", "bandwidth-fair": "fair", "bandwidth-none": "none"}


@pytest.fixture(scope="module", params=["pps", "bandwidth", "bandwidth-fair", "bandwidth-none"])
def hosts(request, build_dir: Path):
    require_root_and_tools("TAPs and namespaces", "dhclient", "iperf3", "ping")
    binary = require_binary(build_dir, "src/router/openvpc-router", "openvpc-router")
    tag = f"{os.getpid() % 100000}"
    work = Path(tempfile.mkdtemp(prefix="ovt-allow-"))
    namespaces = [f"ovt-al-a-{tag}", f"ovt-al-b-{tag}"]
    limit = (["--eni-pps-allowance", str(PPS_ALLOWANCE)] if request.param == "pps" else
             ["--eni-bandwidth-allowance", str(MBITS_ALLOWANCE)])
    if request.param in ("bandwidth-fair", "bandwidth-none"):
        limit += ["--eni-bandwidth-queue", QUEUES[request.param]]
    programs = two_host_programs(HOSTS, allowed_tcp_ports=(IPERF_PORT,),
                                 allowed_udp_ports=(UDP_PORT, IPERF_PORT))
    routers, helpers = [], []
    try:
        start_two_hosts(binary, HOSTS, programs, work, tag, namespaces, routers,
                        extra=((), limit))
        yield {"limit": request.param, "routers": routers, "helpers": helpers,
               "ns_a": namespaces[0], "ns_b": namespaces[1], "work": work, "tag": tag}
    finally:
        stop_two_hosts(routers, namespaces, work, helpers)
        shutil.rmtree(work, ignore_errors=True)


def metrics_b():
    """h2's /metrics (the admin endpoint on its loopback underlay address, port 9180)."""
    url = f"http://{HOSTS[1]['underlay']}:9180/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        return prometheus_text.parse(response.read().decode())


def exceeded(name):
    value = prometheus_text.value(metrics_b(), f"openvpc_eni_{name}_allowance_exceeded_total",
                                  eni="eni-201")
    assert value is not None, name
    return value


def queue_backlog():
    """B's fair-queue backlog as /metrics shows it, the most of 10 reads over a second (the
    workers publish a snapshot every 200 ms)."""
    most = 0
    for _ in range(10):
        value = prometheus_text.value(metrics_b(), "openvpc_eni_bandwidth_queue_packets",
                                      eni="eni-201")
        assert value is not None
        most = max(most, value)
        time.sleep(0.1)
    return most


def start(hosts, ns, *args):
    proc = subprocess.Popen(["ip", "netns", "exec", ns, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    hosts["helpers"].append(proc)
    return proc


def iperf3(hosts, *args, seconds=SECONDS):
    """iperf3 from A to B (-R: B to A) for `seconds`; the JSON of the client."""
    server = start(hosts, hosts["ns_b"], "iperf3", "-s", "-1", "-B", B_IP, "-p",
                   str(IPERF_PORT))
    time.sleep(0.5)
    out = in_ns(hosts["ns_a"], "iperf3", "-c", B_IP, "-p", str(IPERF_PORT), "-J", "-t",
                str(seconds), "-O", str(int(WARMUP)), *args, check=False, timeout=seconds + 30)
    server.wait(timeout=15)
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)


def ping_p99(hosts, count=300):
    """ping A -> B every 10 ms: (p99 in ms, packets lost); prints p50 and the five slowest."""
    out = in_ns(hosts["ns_a"], "ping", "-n", "-i", "0.01", "-c", str(count), "-W", "1", B_IP,
                check=False, timeout=count * 0.01 + 30)
    times = sorted(float(t) for t in re.findall(r"time=([0-9.]+) ms", out.stdout))
    assert times, out.stdout + out.stderr
    print(f"\nping: p50 {times[len(times) // 2]:.3f} ms, slowest {times[-5:]}")
    return times[min(len(times) - 1, int(len(times) * 0.99))], count - len(times)


def test_udp_flood_gets_the_pps_allowance_and_the_excess_is_counted(hosts):
    if hosts["limit"] != "pps":
        pytest.skip("the packets-per-second router")
    in_ns(hosts["ns_a"], "ping", "-c", "1", "-W", "5", B_IP)  # ARP and the path are up
    script_dir = hosts["work"]
    (script_dir / "receiver.py").write_text(RECEIVER)
    (script_dir / "sender.py").write_text(SENDER)
    before = exceeded("pps")
    receiver = start(hosts, hosts["ns_b"], PYTHON, str(script_dir / "receiver.py"))
    assert receiver.stdout.readline().strip() == "ready"
    offered = 3 * PPS_ALLOWANCE
    out = in_ns(hosts["ns_a"], PYTHON, str(script_dir / "sender.py"), str(offered),
                str(WARMUP + SECONDS), timeout=60)
    sent, elapsed = out.stdout.split()
    sent, elapsed = int(sent), float(elapsed)
    received, measured, span = receiver.communicate(timeout=60)[0].split()
    received, measured, span = int(received), int(measured), float(span)
    time.sleep(0.5)  # counters reach the snapshot /metrics reads
    refused = exceeded("pps") - before
    delivered_pps = measured / span
    print(f"\nUDP flood: offered {sent / elapsed:.0f} pps for {elapsed:.2f} s against "
          f"{PPS_ALLOWANCE} pps: {received} received, {delivered_pps:.0f} pps after the first "
          f"{WARMUP:.0f} s ({received / elapsed:.0f} pps over the whole flood, burst included), "
          f"pps_allowance_exceeded +{refused:.0f}")
    assert sent / elapsed > 1.5 * PPS_ALLOWANCE, "the sender could not flood"
    assert abs(delivered_pps - PPS_ALLOWANCE) <= 0.1 * PPS_ALLOWANCE
    # Every datagram sent was either delivered or refused (a few may die in the kernels).
    assert refused > 0
    assert abs(received + refused - sent) <= 0.02 * sent


def delivered_mbits(result):
    """Bits per second the receiver got (iperf3's sum_received, UDP and TCP alike)."""
    return result["end"]["sum_received"]["bits_per_second"] / 1e6


@pytest.mark.parametrize("direction", ["in", "out"])
@pytest.mark.parametrize("protocol", ["udp", "tcp"])
def test_iperf3_gets_the_bandwidth_allowance_and_the_excess_is_counted(hosts, protocol,
                                                                       direction):
    if hosts["limit"] != "bandwidth":
        pytest.skip("the bandwidth router")
    counter = "bw_in" if direction == "in" else "bw_out"
    before = exceeded(counter)
    args = ["-R"] if direction == "out" else []  # -R: B sends
    if protocol == "udp":
        args += ["-u", "-b", f"{2 * MBITS_ALLOWANCE}M", "-l", "1400"]
    # TCP runs longer: what of the bucket's burst a receiver's window still counts (up to a
    # quarter second's worth) weighs less over 5 s than over 3 (runs of 3 s read up to 21.2).
    result = iperf3(hosts, *args, seconds=SECONDS if protocol == "udp" else 5.0)
    time.sleep(0.5)
    refused = exceeded(counter) - before
    mbits = delivered_mbits(result)
    # The allowance counts Ethernet frames; iperf3 counts what its sockets carry.
    print(f"\niperf3 {protocol} {'A -> B (into B)' if direction == 'in' else 'B -> A (out of B)'}"
          f" against {MBITS_ALLOWANCE} Mbit/s: {mbits:.2f} Mbit/s delivered, "
          f"{counter}_allowance_exceeded +{refused:.0f}")
    # With the fair queue (the "bandwidth" router) B's outbound excess waits instead of being
    # dropped: TCP, which slows down to what leaves, may never overflow it; UDP at twice the
    # allowance does.
    if not (direction == "out" and protocol == "tcp" and hosts["limit"] == "bandwidth"):
        assert refused > 0
    # UDP: 1,400-byte datagrams are 1,442-byte frames, so 19.4 Mbit/s of payload is the
    # allowance. TCP keeps it too as long as the burst covers its retransmission timeout
    # (eni_allowance.h).
    assert abs(mbits - MBITS_ALLOWANCE) <= 0.1 * MBITS_ALLOWANCE


def test_ping_p99_idle_and_under_bulk_iperf3(hosts):
    if hosts["limit"] != "bandwidth":
        pytest.skip("the bandwidth router")
    idle, idle_lost = ping_p99(hosts)
    server = start(hosts, hosts["ns_b"], "iperf3", "-s", "-1", "-B", B_IP, "-p",
                   str(IPERF_PORT))
    time.sleep(0.5)
    bulk = start(hosts, hosts["ns_a"], "iperf3", "-c", B_IP, "-p", str(IPERF_PORT), "-t", "6")
    time.sleep(1.0)  # the bulk flow is at the allowance
    loaded, loaded_lost = ping_p99(hosts)
    bulk.wait(timeout=30)
    server.wait(timeout=15)
    print(f"\nping A -> B p99: idle {idle:.3f} ms ({idle_lost} lost of 300), under a bulk TCP "
          f"iperf3 into the {MBITS_ALLOWANCE} Mbit/s ENI {loaded:.3f} ms ({loaded_lost} lost), "
          f"ratio {loaded / idle:.1f} (goal with a fair queue: <= 3)")
    assert bulk.returncode == 0


def test_ping_p99_under_bulk_out_of_the_limited_eni(hosts):
    """B sends a bulk TCP flow to A (B's outbound allowance); A pings B, whose replies leave B
    behind that flow: with the fair queue (the default) they go ahead of its backlog, with
    --eni-bandwidth-queue none the policer drops what the bucket cannot pay for."""
    if hosts["limit"] not in QUEUES:
        pytest.skip("the bandwidth routers")
    queue = QUEUES[hosts["limit"]]
    idle, idle_lost = ping_p99(hosts)
    server = start(hosts, hosts["ns_b"], "iperf3", "-s", "-1", "-B", B_IP, "-p",
                   str(IPERF_PORT))
    time.sleep(0.5)
    bulk = start(hosts, hosts["ns_a"], "iperf3", "-c", B_IP, "-p", str(IPERF_PORT), "-t", "8",
                 "-R", "-J")
    time.sleep(1.5)  # the bulk flow is at the allowance, B's queue backlogged
    backlog = queue_backlog()  # 1 s; the pings (3 s and more) still run inside the bulk's 8 s
    loaded, loaded_lost = ping_p99(hosts)
    out, _ = bulk.communicate(timeout=30)
    server.wait(timeout=15)
    mbits = delivered_mbits(json.loads(out))
    print(f"\nping A -> B p99 with B -> A bulk TCP (B's outbound {MBITS_ALLOWANCE} Mbit/s, "
          f"--eni-bandwidth-queue {queue}): idle {idle:.3f} ms ({idle_lost} lost of 300), "
          f"under bulk {loaded:.3f} ms ({loaded_lost} lost), ratio {loaded / idle:.1f}; "
          f"bulk delivered {mbits:.2f} Mbit/s, most packets queued {backlog:.0f}")
    assert bulk.returncode == 0
    assert (backlog > 0) == (queue != "none")  # only the shaper queues
    if queue != "none":
        # The goal is 3 x idle p99. The shaped router releases every millisecond
        # while packets wait (worker.cc), so a reply queued behind the bulk flow may wait up to
        # one such tick on top of its idle path; and on 2 loaded vCPUs any of the threads on
        # the path now and then waits a scheduler tick (HZ 250: 4 ms) — p99 of 300 pings is the
        # 4th slowest, and idle runs here read 0.5 ms or 4.1 ms by whether 4 of them did. So
        # + 5 ms. What it must catch is far above: a FIFO holds the reply behind the whole
        # backlog (up to a quarter second of the allowance in bytes, or 64 packets), and a
        # ping sharing the bulk flow's sub-queue (fair_queue.h) read 51 ms in CI.
        assert loaded <= 3 * idle + 5.0
        assert loaded_lost <= 3  # nothing of the small flow is dropped by the queue


def eni_drops(reason):
    """B's drops for `reason` as /metrics shows them (absent until one occurred: 0)."""
    return prometheus_text.value(metrics_b(), "openvpc_eni_drops_total", eni="eni-201",
                                 reason=reason) or 0


def bulk_rtts(hosts, ecn):
    """A bulk TCP flow B -> A (B's outbound allowance) for 7 s, with ECN negotiated or not (A
    opens the connection: its tcp_ecn asks for it, B's default accepts): B's smoothed RTT of
    the flow as `ss` reads it every 0.25 s after the first 2 s, the Mbit/s delivered, and what
    B's queue dropped (bw_out_queue_delay) and marked (ce_marked) meanwhile."""
    in_ns(hosts["ns_a"], "sysctl", "-q", "-w", f"net.ipv4.tcp_ecn={1 if ecn else 0}")

    before = (eni_drops("bw_out_queue_delay"),
              prometheus_text.value(metrics_b(), "openvpc_eni_ce_marked_total", eni="eni-201"))
    server = start(hosts, hosts["ns_b"], "iperf3", "-s", "-1", "-B", B_IP, "-p",
                   str(IPERF_PORT))
    time.sleep(0.5)
    # -C cubic (the server, B, sends with it): most distributions' default, which answers CE
    # marks and losses; this machine's default, BBR (v1), answers neither and keeps twice the
    # path's bandwidth-delay product in flight whatever the queue does.
    bulk = start(hosts, hosts["ns_a"], "iperf3", "-c", B_IP, "-p", str(IPERF_PORT), "-t", "7",
                 "-R", "-J", "-C", "cubic")
    time.sleep(2.0)  # past slow start; the queue is at its steady state
    rtts = []
    for _ in range(16):
        out = in_ns(hosts["ns_b"], "ss", "-tin", "src", f"{B_IP}:{IPERF_PORT}", check=False)
        # One info line per connection; the data connection has the most bytes acked.
        if "cubic" not in out.stdout:
            print(out.stdout)
        best = None
        for line in out.stdout.splitlines():
            rtt = re.search(r"\brtt:([0-9.]+)/", line)
            acked = re.search(r"\bbytes_acked:(\d+)", line)
            if rtt and acked and (best is None or int(acked[1]) > best[0]):
                best = (int(acked[1]), float(rtt[1]))
        if best:
            rtts.append(best[1])
        time.sleep(0.25)
    out, _ = bulk.communicate(timeout=30)
    server.wait(timeout=15)
    in_ns(hosts["ns_a"], "sysctl", "-q", "-w", "net.ipv4.tcp_ecn=2")
    assert bulk.returncode == 0
    time.sleep(0.5)  # counters reach the snapshot /metrics reads
    delayed = eni_drops("bw_out_queue_delay") - before[0]
    marked = prometheus_text.value(metrics_b(), "openvpc_eni_ce_marked_total",
                                   eni="eni-201") - before[1]
    assert rtts, "ss never showed the bulk connection"
    return sorted(rtts), delivered_mbits(json.loads(out)), delayed, marked


def test_codel_keeps_a_bulk_flows_own_queueing_delay_short(hosts):
    if hosts["limit"] not in ("bandwidth", "bandwidth-fair"):
        pytest.skip("the shaping routers")
    queue = QUEUES[hosts["limit"]]
    for ecn in (False, True):
        rtts, mbits, delayed, marked = bulk_rtts(hosts, ecn)
        median = rtts[len(rtts) // 2]
        print(f"\nbulk TCP B -> A, --eni-bandwidth-queue {queue}, ECN {'on' if ecn else 'off'}: "
              f"smoothed RTT median {median:.1f} ms (min {rtts[0]:.1f}, max {rtts[-1]:.1f}), "
              f"{mbits:.2f} Mbit/s, bw_out_queue_delay +{delayed:.0f}, ce_marked +{marked:.0f}")
        # What CoDel is for: the flow's own packets wait about its 5 ms target, plus a
        # super-frame's turn; the fair queue alone lets them wait up to its byte bound, a
        # quarter second of the allowance (printed, not asserted: TCP decides how much of it
        # it fills). Either way the flow keeps its allowance.
        assert abs(mbits - MBITS_ALLOWANCE) <= 0.1 * MBITS_ALLOWANCE
        if queue == "fq_codel":
            assert median <= 40.0
            if ecn:
                # Mostly marks: a retransmitted segment is never ECT (RFC 3168 6.1.5), so CoDel
                # drops what it judges among those.
                assert marked > 0 and delayed <= marked // 10
            else:
                assert delayed > 0 and marked == 0
        else:
            assert delayed == 0 and marked == 0
