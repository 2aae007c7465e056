"""A region living through change: an ENI migrating between hosts, a controller that dies
and comes back, a router killed with SIGKILL and restarted.

One region (controller + routers h1=127.0.6.2, h2=127.0.6.3), one VPC 10.0.0.0/16 with
subnets a=10.0.1.0/24 and b=10.0.2.0/24, a group allowing ICMP and TCP 8080 from the VPC.
Instances: Q on h1 (10.0.1.5) and P on h2 (10.0.2.7), both up by DHCP, and two hosts for a
movable ENI E (10.0.1.50): M1 on h1 and M2 on h2 (their primary ENIs stay unconfigured).
Everything is driven through /usr/bin/aws and observed with ping, a TCP echo and the
routers' counters; everything is stopped by PID and removed by name in every outcome.
"""
import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from api_fixtures import wait_until
from region_fixtures import RegionUnderTest, namespaces, pings
from router_fixtures import in_ns, run

HOSTS = {"h1": "127.0.6.2", "h2": "127.0.6.3"}
Q_IP, P_IP, E_IP = "10.0.1.5", "10.0.2.7", "10.0.1.50"
ICMP = "IpProtocol=icmp,FromPort=-1,ToPort=-1,IpRanges=[{CidrIp=10.0.0.0/16}]"
TCP_8080 = "IpProtocol=tcp,FromPort=8080,ToPort=8080,IpRanges=[{CidrIp=10.0.0.0/16}]"

ECHO_SERVER = """
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080)); s.listen(8)
while True:
    c, _ = s.accept()
    while True:
        data = c.recv(4096)
        if not data: break
        c.sendall(data)
    c.close()
"""

# Keeps one TCP connection open and echoes a line every 0.1 s; prints "ok N" per round trip
# and "broken" when the connection fails.
ECHO_CLIENT = """
import socket, sys, time
s = socket.create_connection((sys.argv[1], 8080), timeout=3)
n = 0
try:
    while True:
        s.sendall(b"x" * 64); got = b""
        while len(got) < 64:
            chunk = s.recv(64 - len(got))
            if not chunk: raise OSError("closed")
            got += chunk
        n += 1; print("ok", n, flush=True); time.sleep(0.1)
except OSError as e:
    print("broken", e, flush=True)
"""


@pytest.fixture(scope="module")
def region(build_dir: Path):
    region = RegionUnderTest(build_dir, HOSTS, name="lifecycle")
    try:
        yield region
    finally:
        region.close()


def eni_port(router, eni_name):
    """The router's port for an ENI (from counters.json), or None."""
    counters = router.counters() or {}
    for number, port in counters.get("enis", {}).items():
        if port["name"] == eni_name:
            return dict(port, number=int(number))
    return None


def drops(router, reason):
    return (router.counters() or {}).get("pipeline", {}).get("drops", {}).get(reason, 0)


def test_region_comes_up(region):
    vpc, (a, b) = region.create_vpc()
    region.vpc, region.subnets = vpc, (a, b)
    region.group = region.create_group(vpc, "app", ICMP, TCP_8080)
    region.q = region.launch("h1", a, Q_IP, [region.group])
    region.p = region.launch("h2", b, P_IP, [region.group])
    region.m1 = region.launch("h1", a, "10.0.1.6", [region.group])
    region.m2 = region.launch("h2", a, "10.0.1.7", [region.group])
    region.up(region.q)
    region.up(region.p)
    assert pings(region.p, Q_IP, wait=3)


def test_eni_migrates_between_hosts_and_the_old_host_drops_stale_traffic(region):
    c = region.controller
    e = c.aws_ok("create-network-interface", "--subnet-id", region.subnets[0],
                 "--private-ip-address", E_IP, "--groups",
                 region.group)["NetworkInterface"]["NetworkInterfaceId"]
    attachment = c.aws_ok("attach-network-interface", "--network-interface-id", e,
                          "--instance-id", region.m1, "--device-index", "1")["AttachmentId"]
    h1, h2 = region.routers["h1"], region.routers["h2"]
    assert wait_until(lambda: eni_port(h1, e), 15), h1.log_tail()
    port = eni_port(h1, e)
    assert port["namespace"] == region.m1
    for cmd in (("ip", "addr", "add", f"{E_IP}/24", "dev", port["tap"]),
                ("ip", "link", "set", port["tap"], "up"),
                ("ip", "route", "add", "default", "via", "10.0.1.1")):
        in_ns(region.m1, *cmd)
    assert wait_until(lambda: pings(region.p, E_IP), 10), "E unreachable on h1"

    # One real Geneve packet from h2 to E on h1, kept to be replayed after the move.
    pcap = region.work / "to-e.pcap"
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-nn", "-U", "-c", "1", "-w", str(pcap),
                             f"udp port 6081 and src host {HOSTS['h2']} and dst host "
                             f"{HOSTS['h1']}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    region.helpers.append(dump)
    time.sleep(1.0)
    assert pings(region.p, E_IP)
    dump.wait(timeout=10)

    c.aws_ok("detach-network-interface", "--attachment-id", attachment)
    ec2 = c.boto3()  # in-process, so the clock starts at the call, not at the CLI's start-up
    started = time.monotonic()
    ec2.attach_network_interface(NetworkInterfaceId=e, InstanceId=region.m2, DeviceIndex=1)
    called = time.monotonic()
    assert wait_until(lambda: eni_port(h2, e), 10, 0.02), h2.log_tail()
    attached = time.monotonic()
    port = eni_port(h2, e)
    assert port["namespace"] == region.m2
    for cmd in (("ip", "addr", "add", f"{E_IP}/24", "dev", port["tap"]),
                ("ip", "link", "set", port["tap"], "up"),
                ("ip", "route", "add", "default", "via", "10.0.1.1")):
        in_ns(region.m2, *cmd)
    configured = time.monotonic()
    assert wait_until(lambda: pings(region.p, E_IP, wait=0.2), 5, 0.0)
    followed = time.monotonic() - started
    print(f"attach call {called - started:.3f} s, port {attached - started:.3f} s, "
          f"configured {configured - started:.3f} s, ping {followed:.3f} s")
    # From the API call to a ping answered on the new host, including the test's own ip(8)
    # commands inside the instance: the issue asks for 1 s.
    assert followed <= 1.0, followed
    assert eni_port(h1, e) is None  # the old host let the port go

    # The stale packet replayed to the old host is dropped and counted there.
    before = drops(h1, "geneve_destination_eni_not_local")
    # A raw socket: scapy's own L3 send does not loop back through lo.
    replay = ("import socket\nfrom scapy.all import rdpcap, IP\n"
              f"packet = rdpcap('{pcap}')[0][IP]\n"
              "raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)\n"
              "raw.sendto(bytes(packet), (packet.dst, 0))\n")
    run("/usr/bin/python3", "-c", replay)
    assert wait_until(lambda: drops(h1, "geneve_destination_eni_not_local") > before, 5), \
        json.dumps(h1.counters()["pipeline"]["drops"])


def test_controller_killed_flows_keep_working_and_later_changes_arrive(region):
    c = region.controller
    server = subprocess.Popen(["ip", "netns", "exec", region.q, "/usr/bin/python3", "-c",
                               ECHO_SERVER], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    region.helpers.append(server)
    time.sleep(0.5)
    client = subprocess.Popen(["ip", "netns", "exec", region.p, "/usr/bin/python3", "-c",
                               ECHO_CLIENT, Q_IP], stdout=subprocess.PIPE, text=True)
    region.helpers.append(client)
    assert client.stdout.readline().startswith("ok"), "echo connection did not start"

    c.kill(signal.SIGKILL)
    time.sleep(1.0)
    # The established connection keeps echoing, and new flows start, without a controller.
    for _ in range(5):
        line = client.stdout.readline()
        assert line.startswith("ok"), line
    assert pings(region.p, Q_IP, wait=2)
    # A new TCP connection (the server's backlog completes the handshake).
    new = in_ns(region.p, "/usr/bin/python3", "-c",
                f"import socket; socket.create_connection(('{Q_IP}', 8080), timeout=3)",
                check=False)
    assert new.returncode == 0, new.stderr

    # Restart on the same mapping port; routers resubscribe; a change made now arrives.
    c.extra_args = [("%d" % region.mapping_port) if (i > 0 and c.extra_args[i - 1]
                                                    == "--mapping-port") else a
                    for i, a in enumerate(c.extra_args)]
    c.start()
    c.aws_ok("revoke-security-group-ingress", "--group-id", region.group, "--ip-permissions",
             ICMP)
    assert wait_until(lambda: not pings(region.p, Q_IP), 20, 0.2)
    c.aws_ok("authorize-security-group-ingress", "--group-id", region.group,
             "--ip-permissions", ICMP)
    assert wait_until(lambda: pings(region.p, Q_IP), 20, 0.2)
    line = client.stdout.readline()
    assert line.startswith("ok"), line  # and the tracked TCP connection survived it all
    client.kill()
    client.wait(timeout=5)


def test_router_killed_and_restarted_resynchronises(region):
    h1 = region.routers["h1"]
    h1.kill(signal.SIGKILL)
    # The instance keeps its interface (a persistent TAP) while its router is gone.
    assert region.q in namespaces()
    assert not pings(region.p, Q_IP)
    h1.start()
    assert wait_until(lambda: h1.proc.poll() is not None or pings(region.p, Q_IP), 20, 0.2), \
        h1.log_tail()
    assert h1.proc.poll() is None, h1.log_tail()
    # Same address, no new DHCP: the instance's interface is the one it had.
    assert f"inet {Q_IP}/24" in in_ns(region.q, "ip", "-o", "-4", "addr").stdout
    # And it follows changes again.
    c = region.controller
    c.aws_ok("revoke-security-group-ingress", "--group-id", region.group, "--ip-permissions",
             ICMP)
    assert wait_until(lambda: not pings(region.p, Q_IP), 20, 0.2)
    c.aws_ok("authorize-security-group-ingress", "--group-id", region.group,
             "--ip-permissions", ICMP)
    assert wait_until(lambda: pings(region.p, Q_IP), 20, 0.2)


def test_sigterm_leaves_nothing_behind(region):
    for proc in region.helpers:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    codes = [r.stop() for r in region.routers.values()]
    assert codes == [0, 0], codes
    assert region.leftovers() == []
