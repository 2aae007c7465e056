"""ECN across the Geneve tunnel (RFC 6040), end to end: two routers, two instances, loopback.

Hosts h1 (underlay 127.0.60.2) and h2 (127.0.60.3) run openvpc-router with
router_fixtures.two_host_programs: instance A (ENI 101, 10.0.1.5) on h1, B (ENI 201, 10.0.2.7)
on h2, the security group also admitting UDP 5000 from the VPC.
- Encapsulation: A sends UDP datagrams (built with scapy, sent through a raw socket so the TOS
  byte is exactly as built) with DSCP 46 (EF) and each ECN codepoint. tshark reads the underlay
  capture (lo, Geneve UDP 6081, h1 -> h2): the outer DSCP and ECN equal the inner ones (normal
  mode copies the whole TOS byte), and B receives each datagram with its TOS unchanged
  (IP_RECVTOS).
- Decapsulation: the captured Geneve packets, one per inner codepoint, are sent again from h1's
  underlay address with each outer ECN codepoint (a congested underlay switch marks CE; scapy
  forges it from the root namespace through a raw socket). B receives every combination as
  RFC 6040's table says (packet/ecn.h), DSCP kept; outer CE on a Not-ECT packet is dropped,
  and h2 counts exactly the packets sent as ecn_ce_not_ect, in counters.json and on /metrics.
Traffic goes only to 127.0.60.0/24 on lo and into the namespaces this test creates; every
process it starts is removed by PID, the namespaces and TAPs by this run's tag. Needs root,
dhclient, tcpdump, tshark and /usr/bin/python3 with scapy.
"""
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

import prometheus_text
from conftest import require_binary, require_root_and_tools
from router_fixtures import (_rule, in_ns, leftovers, run, start_two_hosts, stop_two_hosts,
                             two_host_programs)

PYTHON = "/usr/bin/python3"
A_IP, B_IP = "10.0.1.5", "10.0.2.7"
H1, H2 = "127.0.60.2", "127.0.60.3"
HOSTS = [
    {"underlay": H1, "eni": 101, "mac": "02:00:00:00:01:01", "ip": A_IP, "subnet": 11},
    {"underlay": H2, "eni": 201, "mac": "02:00:00:00:02:01", "ip": B_IP, "subnet": 12},
]
PORT = 5000
ADMIN_PORT = 9180  # the router's default admin endpoint on a loopback underlay
DSCP_EF = 46
NOT_ECT, ECT1, ECT0, CE = 0, 1, 2, 3
CODEPOINTS = (NOT_ECT, ECT1, ECT0, CE)
NOT_ECT_UNDER_CE = 5  # copies of the Not-ECT packet sent with outer CE: each one a counted drop

# RFC 6040 figure 4, written out independently of packet/ecn.h: (inner, outer) -> the ECN
# field B receives; None: dropped.
RFC_6040 = {
    (NOT_ECT, NOT_ECT): NOT_ECT, (NOT_ECT, ECT0): NOT_ECT, (NOT_ECT, ECT1): NOT_ECT,
    (NOT_ECT, CE): None,
    (ECT0, NOT_ECT): ECT0, (ECT0, ECT0): ECT0, (ECT0, ECT1): ECT1, (ECT0, CE): CE,
    (ECT1, NOT_ECT): ECT1, (ECT1, ECT0): ECT1, (ECT1, ECT1): ECT1, (ECT1, CE): CE,
    (CE, NOT_ECT): CE, (CE, ECT0): CE, (CE, ECT1): CE, (CE, CE): CE,
}

# Run in B: prints "<payload> <TOS>" per datagram to B_IP:PORT; stops argv[2] s after the
# first argv[1] datagrams (so a datagram that should not come still shows up), or after
# argv[3] s without one.
RECEIVER = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
s.bind(("%s", %d))
expected, linger = int(sys.argv[1]), float(sys.argv[2])
s.settimeout(float(sys.argv[3]))
print("ready", flush=True)
got = 0
try:
    while True:
        data, ancillary, _, _ = s.recvmsg(2048, socket.CMSG_SPACE(4))
        tos = [c[2][0] for c in ancillary if c[:2] == (socket.IPPROTO_IP, socket.IP_TOS)]
        print(data.decode(), tos[0] if tos else -1, flush=True)
        got += 1
        if got == expected:
            s.settimeout(linger)
except socket.timeout:
    pass
""" % (B_IP, PORT)

# Run in A: one UDP datagram to B per ECN codepoint, TOS = DSCP 46 | ECN, payload
# "enc:<ECN>:-"; a raw socket (IP_HDRINCL) so the kernel keeps the TOS byte as built.
SENDER = r"""
import socket
from scapy.all import IP, UDP, Raw
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for ecn in (0, 1, 2, 3):
    p = IP(src="%s", dst="%s", tos=%d << 2 | ecn) / UDP(sport=40000 + ecn, dport=%d) / \
        Raw(("enc:%%d:-" %% ecn).encode())
    raw.sendto(bytes(p), (p.dst, 0))
""" % (A_IP, B_IP, DSCP_EF, PORT)

# Run in the root namespace: each captured Geneve packet of argv[1] (h1 -> h2, inner ECN x)
# sent again to h2 with the outer ECN set to each codepoint o, inner payload "dec:<x>:<o>"
# (same length; the inner UDP checksum recomputed); the (Not-ECT, CE) one argv[2] times.
FORGE = r"""
import socket, sys
from scapy.all import rdpcap, IP, UDP, Raw
from scapy.contrib.geneve import GENEVE
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for captured in rdpcap(sys.argv[1]):
    if UDP not in captured[GENEVE] or captured[GENEVE][UDP].dport != %d:
        continue
    inner_ecn = captured[GENEVE][IP].tos & 3
    for outer_ecn in (0, 1, 2, 3):
        p = captured[IP].copy()
        p[IP].tos = p[IP].tos & 0xfc | outer_ecn     # what a switch on the way would mark
        del p[IP].chksum
        p[GENEVE][Raw].load = ("dec:%%d:%%d" %% (inner_ecn, outer_ecn)).encode()
        del p[GENEVE][UDP].chksum
        copies = int(sys.argv[2]) if (inner_ecn, outer_ecn) == (0, 3) else 1
        for _ in range(copies):
            raw.sendto(bytes(p), (p[IP].dst, 0))
""" % PORT


@pytest.fixture(scope="module")
def hosts(build_dir: Path):
    require_root_and_tools("TAPs and namespaces", "dhclient", "tcpdump", "tshark")
    binary = require_binary(build_dir, "src/router/openvpc-router", "openvpc-router")
    tag = f"e{os.getpid() % 100000}"
    work = Path(tempfile.mkdtemp(prefix="ovt-ecn-"))
    namespaces = [f"ovt-ecn-a-{tag}", f"ovt-ecn-b-{tag}"]
    programs = two_host_programs(HOSTS, allowed_tcp_ports=())
    for program in programs:
        program["security_groups"][0]["rules"].append(_rule("ingress", 17, (PORT, PORT)))
    routers, helpers = [], []
    try:
        start_two_hosts(binary, HOSTS, programs, work, tag, namespaces, routers)
        # A's first packets resolve the router's MAC; a ping gets ARP done.
        assert in_ns(namespaces[0], "ping", "-c", "1", "-W", "3", B_IP,
                     check=False).returncode == 0
        yield {"routers": routers, "helpers": helpers, "ns_a": namespaces[0],
               "ns_b": namespaces[1], "work": work, "tag": tag}
    finally:
        stop_two_hosts(routers, namespaces, work, helpers)
        shutil.rmtree(work, ignore_errors=True)


def receive_in_b(hosts, expected, linger=0.5, timeout=5):
    proc = subprocess.Popen(["ip", "netns", "exec", hosts["ns_b"], PYTHON, "-c", RECEIVER,
                             str(expected), str(linger), str(timeout)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    hosts["helpers"].append(proc)
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    return proc


def received(proc):
    """{payload: TOS} of what the receiver printed; a payload twice is an error."""
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    seen = {}
    for line in out.splitlines():
        payload, tos = line.split()
        assert payload not in seen, out
        seen[payload] = int(tos)
    return seen


def capture_underlay(hosts, pcap, count):
    """tcpdump on lo of `count` Geneve packets from h1 to h2; returns once the capture is
    open."""
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-nn", "-U", "-c", str(count), "-w",
                             str(pcap), f"udp dst port 6081 and src host {H1} and dst host {H2}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    hosts["helpers"].append(dump)
    lines = []
    while not lines or "listening on" not in lines[-1]:
        lines.append(dump.stderr.readline())
        assert lines[-1], lines  # tcpdump exited before its capture was open
    return dump


def ecn_ce_not_ect(router):
    counters = router.counters() or {}
    return counters.get("pipeline", {}).get("drops", {}).get("ecn_ce_not_ect", 0)


def ecn_ce_not_ect_on_metrics():
    url = f"http://{H2}:{ADMIN_PORT}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        page = prometheus_text.parse(response.read().decode())
    return prometheus_text.value(page, "openvpc_pipeline_drops_total",
                                 reason="ecn_ce_not_ect") or 0


@pytest.fixture(scope="module")
def encapsulated(hosts):
    """A's four datagrams (one per ECN codepoint) crossed h1 -> h2 under capture: the pcap of
    the underlay and {payload: TOS} as B received them."""
    pcap = hosts["work"] / "underlay.pcap"
    dump = capture_underlay(hosts, pcap, len(CODEPOINTS))
    receiver = receive_in_b(hosts, len(CODEPOINTS))
    sent = in_ns(hosts["ns_a"], PYTHON, "-c", SENDER, check=False)
    assert sent.returncode == 0, sent.stderr
    seen = received(receiver)
    dump.wait(timeout=10)  # tcpdump stops after the count: every packet written
    return pcap, seen


def test_encapsulation_copies_dscp_and_ecn_to_the_outer_header(encapsulated):
    pcap, _ = encapsulated
    out = run("tshark", "-r", str(pcap), "-Y", f"udp.dstport == {PORT}", "-T", "fields",
              "-e", "ip.dsfield.dscp", "-e", "ip.dsfield.ecn", "-e", "udp.srcport").stdout
    # Each field has two occurrences, outer then inner (udp: the outer one's then the inner
    # one's), comma-joined.
    rows = sorted(tuple(field.split(",") for field in line.split("\t"))
                  for line in out.splitlines())
    assert len(rows) == len(CODEPOINTS), out
    for ecn, (dscp, ecn_fields, ports) in zip(CODEPOINTS, rows):
        assert ports[1] == str(40000 + ecn), out
        assert dscp == [str(DSCP_EF)] * 2, out           # outer DSCP == inner DSCP == EF
        assert ecn_fields == [str(ecn)] * 2, out         # outer ECN == inner ECN


def test_instance_receives_each_tos_unchanged(encapsulated):
    _, seen = encapsulated
    assert seen == {f"enc:{ecn}:-": DSCP_EF << 2 | ecn for ecn in CODEPOINTS}


def test_decapsulation_follows_rfc_6040(hosts, encapsulated):
    pcap, _ = encapsulated
    router = hosts["routers"][1]
    before, before_metrics = ecn_ce_not_ect(router), ecn_ce_not_ect_on_metrics()
    delivered = {f"dec:{inner}:{outer}": DSCP_EF << 2 | ecn
                 for (inner, outer), ecn in RFC_6040.items() if ecn is not None}
    receiver = receive_in_b(hosts, len(delivered))
    forged = run(PYTHON, "-c", FORGE, str(pcap), str(NOT_ECT_UNDER_CE), check=False)
    assert forged.returncode == 0, forged.stderr
    # Every combination arrives as the table says, DSCP kept; none of the dropped one.
    assert received(receiver) == delivered
    deadline = time.time() + 5
    while time.time() < deadline and ecn_ce_not_ect(router) < before + NOT_ECT_UNDER_CE:
        time.sleep(0.1)
    time.sleep(0.5)  # counters.json is written every 0.2 s: a late extra would show by now
    assert ecn_ce_not_ect(router) == before + NOT_ECT_UNDER_CE
    assert ecn_ce_not_ect_on_metrics() == before_metrics + NOT_ECT_UNDER_CE


def test_nothing_left_after_the_routers_stop(hosts):
    stop_two_hosts(hosts["routers"], [hosts["ns_a"], hosts["ns_b"]], hosts["work"],
                   hosts["helpers"])
    assert leftovers(hosts["tag"]) == []
