"""Path MTU across two openvpc-routers: 9001 inside the VPC, ICMP fragmentation needed above.

Hosts h1 (underlay 127.0.1.2) and h2 (127.0.1.3) run openvpc-router (one worker each) with
router_fixtures.two_host_programs: instance A (ENI 101, 10.0.1.5) on h1, B (ENI 201,
10.0.2.7) on h2, a security group allowing ICMP and TCP 5001 from the VPC. Both instances
raise their interface MTU to 9500, above the VPC's 9001. Then: the router address answers
ping; a 9001-byte DF ping crosses; a larger DF ping gets "fragmentation needed, mtu 9001"
from the router; a DF-clear one is cut by the router and reassembled by B's kernel; a TCP
transfer whose MSS (9460) is too large completes because B's kernel learns the path MTU from
the router's ICMP error. Needs root, dhclient, ping and /usr/bin/python3. Everything is
removed by PID and by this run's unique tag in every outcome.
"""
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import require_binary, require_root_and_tools
from router_fixtures import (in_ns, leftovers, reassembled_datagrams, start_two_hosts,
                             stop_two_hosts, two_host_programs)

PYTHON = "/usr/bin/python3"
A_IP, B_IP = "10.0.1.5", "10.0.2.7"
PORT = 5001
TRANSFER = 2 * 1024 * 1024
HOSTS = [
    {"underlay": "127.0.1.2", "eni": 101, "mac": "02:00:00:00:01:01", "ip": A_IP, "subnet": 11},
    {"underlay": "127.0.1.3", "eni": 201, "mac": "02:00:00:00:02:01", "ip": B_IP, "subnet": 12},
]

# Run in B: accepts one connection and sends TRANSFER bytes of a known pattern.
SERVER = r"""
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("%s", %d))
s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
block = bytes(range(256)) * 256
for _ in range(%d // len(block)):
    c.sendall(block)
c.close()
""" % (B_IP, PORT, TRANSFER)

# Run in A: receives everything and prints the byte count, whether it is right and the MSS.
CLIENT = r"""
import socket
s = socket.create_connection(("%s", %d), timeout=20)
mss = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)
data = bytearray()
while True:
    chunk = s.recv(1 << 16)
    if not chunk:
        break
    data += chunk
block = bytes(range(256)) * 256
print(len(data), data == block * (len(data) // len(block)), mss)
""" % (B_IP, PORT)


@pytest.fixture(scope="module")
def hosts(build_dir: Path):
    require_root_and_tools("TAPs and namespaces", "dhclient", "ping")
    binary = require_binary(build_dir, "src/router/openvpc-router", "openvpc-router")
    tag = f"m{os.getpid() % 100000}"
    work = Path(tempfile.mkdtemp(prefix="ovt-mtu-"))
    namespaces = [f"ovt-mtu-a-{tag}", f"ovt-mtu-b-{tag}"]
    programs = two_host_programs(HOSTS, allowed_tcp_ports=(PORT,))
    routers, helpers = [], []
    try:
        taps = start_two_hosts(binary, HOSTS, programs, work, tag, namespaces, routers)
        for ns, tap in zip(namespaces, taps):
            in_ns(ns, "ip", "link", "set", "dev", tap, "mtu", "9500")
        yield {"routers": routers, "helpers": helpers, "ns_a": namespaces[0],
               "ns_b": namespaces[1], "taps": taps, "work": work, "tag": tag}
    finally:
        stop_two_hosts(routers, namespaces, work, helpers)
        shutil.rmtree(work, ignore_errors=True)


def pipeline(hosts, i):
    return hosts["routers"][i].counters()["pipeline"]


def mtu_exceeded(hosts, i):
    return pipeline(hosts, i)["drops"].get("mtu_exceeded", 0)


def wait_for(read, at_least, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline and read() < at_least:
        time.sleep(0.1)
    return read()


def ping(ns, *args):
    return in_ns(ns, "ping", "-c", "1", "-W", "3", *args, check=False)


def test_interfaces_take_9500(hosts):
    link = in_ns(hosts["ns_a"], "ip", "link", "show", "dev", hosts["taps"][0]).stdout
    assert "mtu 9500" in link, link


def test_router_address_answers_ping(hosts):
    reply = ping(hosts["ns_a"], "10.0.1.1")
    assert reply.returncode == 0 and "1 received" in reply.stdout, reply.stdout + reply.stderr


def test_9001_byte_df_ping_crosses_hosts(hosts):
    reply = ping(hosts["ns_a"], "-M", "do", "-s", "8973", B_IP)
    assert reply.returncode == 0 and "8981 bytes from" in reply.stdout, reply.stdout


def test_larger_df_ping_gets_fragmentation_needed_from_the_router(hosts):
    in_ns(hosts["ns_a"], "ip", "route", "flush", "cache")
    before = mtu_exceeded(hosts, 0)
    reply = ping(hosts["ns_a"], "-M", "do", "-s", "9100", B_IP)
    assert reply.returncode != 0
    assert "From 10.0.1.1" in reply.stdout and "mtu = 9001" in reply.stdout, reply.stdout
    assert wait_for(lambda: mtu_exceeded(hosts, 0), before + 1) == before + 1
    assert pipeline(hosts, 0)["verdicts"]["icmp_error"] >= 1
    # A's kernel took the router's word for it.
    route = in_ns(hosts["ns_a"], "ip", "route", "get", B_IP).stdout
    assert "mtu 9001" in route, route


def test_df_clear_ping_is_fragmented_by_the_router(hosts):
    before = reassembled_datagrams(hosts["ns_b"])
    reply = ping(hosts["ns_a"], "-M", "dont", "-s", "9100", B_IP)
    assert reply.returncode == 0 and "9108 bytes from" in reply.stdout, reply.stdout
    assert reassembled_datagrams(hosts["ns_b"]) >= before + 1  # B got it in pieces


def test_tcp_with_a_too_large_mss_completes_by_path_mtu_discovery(hosts):
    for ns in (hosts["ns_a"], hosts["ns_b"]):
        in_ns(ns, "ip", "route", "flush", "cache")
    before = mtu_exceeded(hosts, 1)
    server = subprocess.Popen(["ip", "netns", "exec", hosts["ns_b"], PYTHON, "-c", SERVER],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    hosts["helpers"].append(server)
    assert server.stdout.readline().strip() == "ready"
    client = in_ns(hosts["ns_a"], PYTHON, "-c", CLIENT, check=False, timeout=60)
    assert client.returncode == 0, client.stderr
    size, intact, mss = client.stdout.split()
    assert (int(size), intact) == (TRANSFER, "True"), client.stdout
    print(f"\nTCP MSS seen by A: {mss}")
    # B sent segments too large for the VPC; its router answered, B's kernel adapted.
    assert wait_for(lambda: mtu_exceeded(hosts, 1), before + 1) >= before + 1
    route = in_ns(hosts["ns_b"], "ip", "route", "get", A_IP).stdout
    assert "mtu 9001" in route, route


def test_nothing_left_after_the_routers_stop(hosts):
    stop_two_hosts(hosts["routers"], [hosts["ns_a"], hosts["ns_b"]], hosts["work"],
                   hosts["helpers"])
    assert leftovers(hosts["tag"]) == []
