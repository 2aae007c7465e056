"""Fragments that arrive before their first fragment are held by the router, then released.

Hosts h1 (underlay 127.0.1.2) and h2 (127.0.1.3) run openvpc-router (one worker each, then two) with
router_fixtures.two_host_programs: instance A (ENI 101, 10.0.1.5) on h1, B (ENI 201,
10.0.2.7) on h2, a security group allowing ICMP and UDP 5000 from the VPC. In A, scapy cuts a
4000-byte UDP datagram into three fragments and a raw socket sends them last first; h1 holds
the two later ones until the first comes, then sends all three; a UDP socket in B receives
the whole datagram. Later fragments whose first one never comes are dropped as
fragment_orphan after the hold time. Needs root, dhclient and /usr/bin/python3 with scapy.
Everything is removed by PID and by this run's unique tag in every outcome.
"""
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import require_binary, require_root_and_tools
from router_fixtures import (_rule, in_ns, leftovers, reassembled_datagrams, start_two_hosts,
                             stop_two_hosts, two_host_programs)

PYTHON = "/usr/bin/python3"
A_IP, B_IP = "10.0.1.5", "10.0.2.7"
PORT = 5000
HOSTS = [
    {"underlay": "127.0.1.2", "eni": 101, "mac": "02:00:00:00:01:01", "ip": A_IP, "subnet": 11},
    {"underlay": "127.0.1.3", "eni": 201, "mac": "02:00:00:00:02:01", "ip": B_IP, "subnet": 12},
]

# Run in A: fragments of one UDP datagram (argv: id, payload size, which fragments to send,
# e.g. "2,1,0"), sent as they are through a raw socket (the kernel routes and ARPs).
SENDER = r"""
import socket, sys
from scapy.all import IP, UDP, Raw, fragment
datagram_id, size, order = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
payload = bytes((i * 7 + 3) %% 251 for i in range(size))
packet = IP(src="%s", dst="%s", id=datagram_id) / UDP(sport=40000, dport=%d) / Raw(payload)
fragments = fragment(packet, fragsize=1480)
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for i in (int(x) for x in order.split(",")):
    raw.sendto(bytes(fragments[i]), ("%s", 0))
print(len(fragments))
""" % (A_IP, B_IP, PORT, B_IP)

# Run in B: prints the size of the first datagram to PORT and whether its bytes are right.
RECEIVER = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("%s", %d))
s.settimeout(float(sys.argv[1]))
print("ready", flush=True)
data, peer = s.recvfrom(65535)
print(len(data), data == bytes((i * 7 + 3) %% 251 for i in range(len(data))), peer[0], flush=True)
""" % (B_IP, PORT)


# With two workers per router a datagram's fragments must still meet on one worker (dispatch.h:
# everything but unfragmented TCP is dispatched on addresses and protocol).
@pytest.fixture(scope="module", params=[1, 2], ids=["1-worker", "2-workers"])
def hosts(request, build_dir: Path):
    require_root_and_tools("TAPs and namespaces", "dhclient")
    binary = require_binary(build_dir, "src/router/openvpc-router", "openvpc-router")
    tag = f"f{os.getpid() % 100000}"
    work = Path(tempfile.mkdtemp(prefix="ovt-frag-"))
    namespaces = [f"ovt-frag-a-{tag}", f"ovt-frag-b-{tag}"]
    programs = two_host_programs(HOSTS, allowed_tcp_ports=())
    programs[0]["security_groups"][0]["rules"].append(_rule("ingress", 17, (PORT, PORT)))
    routers, helpers = [], []
    try:
        start_two_hosts(binary, HOSTS, programs, work, tag, namespaces, routers,
                        workers=request.param)
        yield {"routers": routers, "helpers": helpers, "ns_a": namespaces[0],
               "ns_b": namespaces[1], "work": work, "tag": tag}
    finally:
        stop_two_hosts(routers, namespaces, work, helpers)
        shutil.rmtree(work, ignore_errors=True)


def pipeline(hosts, i):
    return hosts["routers"][i].counters()["pipeline"]


def wait_counter(hosts, i, read, at_least, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if read(pipeline(hosts, i)) >= at_least:
            break
        time.sleep(0.1)
    return read(pipeline(hosts, i))


def send_fragments(hosts, datagram_id, size, order):
    sent = in_ns(hosts["ns_a"], PYTHON, "-c", SENDER, str(datagram_id), str(size), order)
    assert sent.returncode == 0, sent.stderr
    return int(sent.stdout.strip())


def test_reversed_fragments_are_held_and_the_datagram_arrives_whole(hosts):
    # The first packet A sends resolves the router's MAC; ping it so ARP is done already.
    assert in_ns(hosts["ns_a"], "ping", "-c", "1", "-W", "3", B_IP, check=False).returncode == 0
    held_before = pipeline(hosts, 0)["verdicts"]["held"]
    encapsulated_before = pipeline(hosts, 0)["verdicts"]["encapsulate"]
    reassembled_before = reassembled_datagrams(hosts["ns_b"])
    receiver = subprocess.Popen(["ip", "netns", "exec", hosts["ns_b"], PYTHON, "-c", RECEIVER,
                                 "10"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    hosts["helpers"].append(receiver)
    assert receiver.stdout.readline().strip() == "ready"
    assert send_fragments(hosts, 4242, 4000, "2,1,0") == 3
    out, err = receiver.communicate(timeout=15)
    assert out.split() == ["4000", "True", A_IP], (out, err)
    assert reassembled_datagrams(hosts["ns_b"]) == reassembled_before + 1
    held = wait_counter(hosts, 0, lambda p: p["verdicts"]["held"], held_before + 2)
    assert held == held_before + 2
    encapsulated = wait_counter(hosts, 0, lambda p: p["verdicts"]["encapsulate"],
                                encapsulated_before + 3)
    assert encapsulated >= encapsulated_before + 3
    assert pipeline(hosts, 0)["drops"].get("fragment_orphan", 0) == 0


def test_fragments_without_their_first_expire_as_orphans(hosts):
    before = pipeline(hosts, 0)["drops"].get("fragment_orphan", 0)
    held_before = pipeline(hosts, 0)["verdicts"]["held"]
    assert send_fragments(hosts, 4343, 4000, "2,1") == 3
    assert wait_counter(hosts, 0, lambda p: p["verdicts"]["held"], held_before + 2) == \
        held_before + 2
    # Held 1 to 2 s (whole seconds); the idle worker expires them without further traffic.
    orphans = wait_counter(hosts, 0, lambda p: p["drops"].get("fragment_orphan", 0), before + 2,
                           timeout=6)
    assert orphans == before + 2


def test_nothing_left_after_the_routers_stop(hosts):
    stop_two_hosts(hosts["routers"], [hosts["ns_a"], hosts["ns_b"]], hosts["work"],
                   hosts["helpers"])
    assert leftovers(hosts["tag"]) == []
