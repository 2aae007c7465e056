"""What an instance may send (issue 16), with real instances and crafted frames.

Hosts h1 (underlay 127.0.46.2) and h2 (127.0.46.3) run openvpc-router with
router_fixtures.two_host_programs: instance A (ENI 101, 10.0.1.5) on h1, B (ENI 201, 10.0.2.7)
on h2, a security group allowing ICMP, UDP 5000 and UDP 6081 from the VPC. From inside A:
- a UDP datagram to B's port 6081 whose payload is a whole Geneve packet (VPC option, an
  inner packet with a forged source) arrives in B as that datagram, payload intact: only the
  underlay port decapsulates;
- a frame with an 802.1Q tag, and an IPv4 packet with a wrong header checksum, are dropped
  and counted by reason (vlan_tagged, ipv4_bad_checksum), on A's ENI too;
- a DNS query to the resolver from a source address that is not A's gets no answer: the
  source check comes before the local services (source_address_spoofed).
Crafted frames leave A through an AF_PACKET socket (scapy sendp). Needs root, dhclient and
/usr/bin/python3 with scapy. Everything is removed by PID and by this run's tag.
"""
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import require_binary, require_root_and_tools
from router_fixtures import (ROUTER_MAC, _rule, in_ns, leftovers, start_two_hosts,
                             stop_two_hosts, two_host_programs)

PYTHON = "/usr/bin/python3"
A_IP, B_IP = "10.0.1.5", "10.0.2.7"
A_MAC = "02:00:00:00:01:01"
HOSTS = [
    {"underlay": "127.0.46.2", "eni": 101, "mac": A_MAC, "ip": A_IP, "subnet": 11},
    {"underlay": "127.0.46.3", "eni": 201, "mac": "02:00:00:00:02:01", "ip": B_IP, "subnet": 12},
]

# Run in B: prints each datagram to argv[1] as "<source> <payload hex>", until argv[2] s pass.
RECEIVER = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("%s", int(sys.argv[1])))
s.settimeout(float(sys.argv[2]))
print("ready", flush=True)
try:
    while True:
        data, peer = s.recvfrom(65535)
        print(peer[0], data.hex(), flush=True)
except socket.timeout:
    pass
""" % B_IP

# Run in A: the bytes of a Geneve packet (VPC option: ENI 201 -> 201, VNI 4242) around a TCP
# SYN "from" 10.0.2.99 to B: what would be forwarded if A's router unwrapped it.
GENEVE_PAYLOAD = r"""
from scapy.all import IP, TCP
from scapy.contrib.geneve import GENEVE, GeneveOptions
option = GeneveOptions(classid=0xff0c, type=1, data=(201).to_bytes(4, "big") * 2 + b"\0\0\0\0")
inner = IP(src="10.0.2.99", dst="%s") / TCP(sport=1234, dport=22, flags="S")
print(bytes(GENEVE(vni=4242, proto=0x0800, options=[option]) / inner).hex())
""" % B_IP

# Run in A: sends one crafted frame (argv[1]: python expression over scapy names) on the TAP.
SEND_FRAME = r"""
import sys
from scapy.all import Ether, Dot1Q, IP, UDP, DNS, DNSQR, sendp
frame = eval(sys.argv[1])
sendp(frame, iface=sys.argv[2], verbose=False)
"""


@pytest.fixture(scope="module")
def hosts(build_dir: Path):
    require_root_and_tools("TAPs and namespaces", "dhclient")
    binary = require_binary(build_dir, "src/router/openvpc-router", "openvpc-router")
    tag = f"t{os.getpid() % 100000}"
    work = Path(tempfile.mkdtemp(prefix="ovt-tenant-"))
    namespaces = [f"ovt-tenant-a-{tag}", f"ovt-tenant-b-{tag}"]
    programs = two_host_programs(HOSTS, allowed_tcp_ports=())
    for program in programs:
        rules = program["security_groups"][0]["rules"]
        rules += [_rule("ingress", 17, (5000, 5000)), _rule("ingress", 17, (6081, 6081))]
    routers, helpers = [], []
    try:
        taps = start_two_hosts(binary, HOSTS, programs, work, tag, namespaces, routers)
        # A's first packets resolve the router's MAC; a ping gets ARP done.
        assert in_ns(namespaces[0], "ping", "-c", "1", "-W", "3", B_IP,
                     check=False).returncode == 0
        yield {"routers": routers, "helpers": helpers, "ns_a": namespaces[0],
               "ns_b": namespaces[1], "tap_a": taps[0], "work": work, "tag": tag}
    finally:
        stop_two_hosts(routers, namespaces, work, helpers)
        shutil.rmtree(work, ignore_errors=True)


def counters(hosts, i):
    return hosts["routers"][i].counters()


def drops(hosts, i, reason, eni=None):
    c = counters(hosts, i)
    where = c["enis"][str(eni)]["drops"] if eni is not None else c["pipeline"]["drops"]
    return where.get(reason, 0)


def wait_for(read, at_least, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline and read() < at_least:
        time.sleep(0.1)
    return read()


def receive_in_b(hosts, port, seconds):
    proc = subprocess.Popen(["ip", "netns", "exec", hosts["ns_b"], PYTHON, "-c", RECEIVER,
                             str(port), str(seconds)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    hosts["helpers"].append(proc)
    assert proc.stdout.readline().strip() == "ready"
    return proc


def send_frame(hosts, expression):
    sent = in_ns(hosts["ns_a"], PYTHON, "-c", SEND_FRAME, expression, hosts["tap_a"])
    assert sent.returncode == 0, sent.stderr


def test_udp_6081_from_an_instance_arrives_as_plain_udp(hosts):
    payload = in_ns(hosts["ns_a"], PYTHON, "-c", GENEVE_PAYLOAD).stdout.strip()
    receiver = receive_in_b(hosts, 6081, 3)
    sender = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
              f"s.bind(('{A_IP}', 40000)); s.sendto(bytes.fromhex('{payload}'), ('{B_IP}', 6081))")
    assert in_ns(hosts["ns_a"], PYTHON, "-c", sender).returncode == 0
    out, err = receiver.communicate(timeout=10)
    assert out.split() == [A_IP, payload], (out, err)
    assert drops(hosts, 0, "source_address_spoofed") == 0
    assert drops(hosts, 1, "geneve_inner_source_mismatch") == 0


def test_vlan_tagged_frame_is_dropped_and_counted(hosts):
    before = drops(hosts, 0, "vlan_tagged", eni=101)
    receiver = receive_in_b(hosts, 5000, 2)
    send_frame(hosts, f"Ether(src='{A_MAC}', dst='{ROUTER_MAC}') / Dot1Q(vlan=5) / "
                      f"IP(src='{A_IP}', dst='{B_IP}') / UDP(sport=40001, dport=5000) / b'tagged'")
    assert wait_for(lambda: drops(hosts, 0, "vlan_tagged", eni=101), before + 1) == before + 1
    out, _ = receiver.communicate(timeout=10)
    assert out.strip() == ""


def test_bad_ipv4_header_checksum_is_dropped_and_counted(hosts):
    before = drops(hosts, 0, "ipv4_bad_checksum", eni=101)
    receiver = receive_in_b(hosts, 5000, 2)
    send_frame(hosts, f"Ether(src='{A_MAC}', dst='{ROUTER_MAC}') / "
                      f"IP(src='{A_IP}', dst='{B_IP}', chksum=0x1234) / "
                      f"UDP(sport=40002, dport=5000) / b'bad checksum'")
    assert wait_for(lambda: drops(hosts, 0, "ipv4_bad_checksum", eni=101), before + 1) == \
        before + 1
    out, _ = receiver.communicate(timeout=10)
    assert out.strip() == ""
    # The same datagram with a correct checksum arrives (the receiver and the path work).
    receiver = receive_in_b(hosts, 5000, 3)
    send_frame(hosts, f"Ether(src='{A_MAC}', dst='{ROUTER_MAC}') / IP(src='{A_IP}', dst='{B_IP}') "
                      f"/ UDP(sport=40002, dport=5000) / b'good checksum'")
    out, _ = receiver.communicate(timeout=10)
    assert out.split() == [A_IP, b"good checksum".hex()]


def test_resolver_does_not_answer_a_forged_source(hosts):
    def dns_replies():
        services = counters(hosts, 0)["services"]
        return sum(services.get(event, 0) for event in ("dns_answered", "dns_nxdomain"))

    replied = dns_replies()
    before = drops(hosts, 0, "source_address_spoofed", eni=101)
    send_frame(hosts, f"Ether(src='{A_MAC}', dst='{ROUTER_MAC}') / "
                      f"IP(src='10.0.1.99', dst='10.0.0.2') / UDP(sport=40003, dport=53) / "
                      f"DNS(rd=1, qd=DNSQR(qname='ip-10-0-2-7.ec2.internal'))")
    assert wait_for(lambda: drops(hosts, 0, "source_address_spoofed", eni=101), before + 1) == \
        before + 1
    time.sleep(0.5)  # counters.json is written every 0.2 s
    assert dns_replies() == replied
    # From A's own address the resolver answers (NXDOMAIN: no upstream for other names).
    answer = in_ns(hosts["ns_a"], "dig", "+time=2", "+tries=1", "@10.0.0.2", "example.invalid",
                   check=False)
    assert "status: NXDOMAIN" in answer.stdout, answer
    assert wait_for(dns_replies, replied + 1) == replied + 1


def test_nothing_left_after_the_routers_stop(hosts):
    stop_two_hosts(hosts["routers"], [hosts["ns_a"], hosts["ns_b"]], hosts["work"],
                   hosts["helpers"])
    assert leftovers(hosts["tag"]) == []
