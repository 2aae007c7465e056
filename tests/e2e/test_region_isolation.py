"""Isolation and policy in a region, observed with real clients.

One region (controller + routers h1=127.0.7.2, h2=127.0.7.3). Two VPCs with the same CIDR
10.0.0.0/16 and the same instance addresses on the same two hosts: no packet crosses between
them, and Geneve forged from a captured packet (another VNI, an unknown VNI, a wrong outer
source) is dropped and counted. Inside the first VPC: a NACL that denies everything on
subnet b blocks traffic between subnets but not inside b; a rule referencing another
security group admits only that group's members; a revoked rule keeps an established
tracked TCP connection while an untracked one (TCP open to 0.0.0.0/0) is cut at once.
Everything is driven with /usr/bin/aws and removed by PID and by name in every outcome.
"""
import subprocess
import time
from pathlib import Path

import pytest

from api_fixtures import wait_until
from region_fixtures import RegionUnderTest, pings
from router_fixtures import in_ns, run

HOSTS = {"h1": "127.0.7.2", "h2": "127.0.7.3"}
ICMP = "IpProtocol=icmp,FromPort=-1,ToPort=-1,IpRanges=[{CidrIp=10.0.0.0/16}]"

ECHO_SERVER = """
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(8)
def serve(c):
    while True:
        data = c.recv(4096)
        if not data: break
        c.sendall(data)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"""

# One TCP connection; each line on stdin triggers a 64-byte round trip, answered "ok" or
# "broken" (3 s timeout).
ECHO_CLIENT = """
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
print("connected", flush=True)
for _ in sys.stdin:
    try:
        s.sendall(b"x" * 64); got = b""
        while len(got) < 64:
            chunk = s.recv(64 - len(got))
            if not chunk: raise OSError("closed")
            got += chunk
        print("ok", flush=True)
    except OSError as e:
        print("broken", e, flush=True)
"""


@pytest.fixture(scope="module")
def region(build_dir: Path):
    region = RegionUnderTest(build_dir, HOSTS, name="isolation")
    try:
        yield region
    finally:
        region.close()


def drops(router):
    return dict((router.counters() or {}).get("pipeline", {}).get("drops", {}))


def background(region, ns, script, *args, stdin=None):
    proc = subprocess.Popen(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", script,
                             *args], stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    region.helpers.append(proc)
    return proc


def round_trip(client):
    client.stdin.write("go\n")
    client.stdin.flush()
    return client.stdout.readline().strip()


def connects(ns, address, port, timeout=2):
    code = (f"import socket; socket.create_connection(('{address}', {port}), "
            f"timeout={timeout})")
    return in_ns(ns, "/usr/bin/python3", "-c", code, check=False).returncode == 0


def test_two_vpcs_with_the_same_addresses(region):
    c = region.controller
    region.x, region.y = {}, {}
    for name, box in (("x", region.x), ("y", region.y)):
        vpc, (a, b) = region.create_vpc()
        group = region.create_group(vpc, f"{name}-icmp", ICMP)
        box.update(vpc=vpc, a=a, b=b, group=group)
        box["h1"] = region.launch("h1", a, "10.0.1.5", [group])
        box["h2"] = region.launch("h2", a, "10.0.1.6", [group])
        region.up(box["h1"])
        region.up(box["h2"])
    assert c.aws_ok("describe-vpcs")["Vpcs"][0]["CidrBlock"] == "10.0.0.0/16"
    # Each VPC's pair talks; a capture inside the other VPC's instance sees none of it.
    pcap = region.work / "y-h2.pcap"
    dump = subprocess.Popen(["ip", "netns", "exec", region.y["h2"], "tcpdump", "-i", "any",
                             "-nn", "-U", "-w", str(pcap), "icmp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    region.helpers.append(dump)
    time.sleep(1.0)
    ping = in_ns(region.x["h1"], "ping", "-c", "5", "-i", "0.2", "-W", "2", "10.0.1.6",
                 check=False)
    assert ping.returncode == 0, ping.stdout
    dump.terminate()
    dump.wait(timeout=5)
    assert run("tcpdump", "-r", str(pcap), "-nn").stdout.strip() == ""
    assert pings(region.y["h1"], "10.0.1.6", wait=2)


def test_forged_geneve_is_dropped_and_counted(region):
    h1, h2 = HOSTS["h1"], HOSTS["h2"]
    pcap = region.work / "x.pcap"
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-nn", "-U", "-c", "1", "-w", str(pcap),
                             f"udp port 6081 and src host {h1} and dst host {h2}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    region.helpers.append(dump)
    time.sleep(1.0)
    assert pings(region.x["h1"], "10.0.1.6")
    dump.wait(timeout=10)
    # The VNI of the other VPC: capture one of its packets the same way.
    pcap_y = region.work / "y.pcap"
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-nn", "-U", "-c", "1", "-w", str(pcap_y),
                             f"udp port 6081 and src host {h1} and dst host {h2}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    region.helpers.append(dump)
    time.sleep(1.0)
    assert pings(region.y["h1"], "10.0.1.6")
    dump.wait(timeout=10)

    forge = f"""
import socket, sys
from scapy.all import rdpcap, IP, UDP
from scapy.contrib.geneve import GENEVE
x = rdpcap('{pcap}')[0][IP]; y = rdpcap('{pcap_y}')[0][IP]
assert x[GENEVE].vni != y[GENEVE].vni
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
def send(p):
    del p[IP].chksum; del p[IP].len; del p[UDP].len
    raw.sendto(bytes(p), (p.dst, 0))
kind = sys.argv[1]
p = x.copy()
if kind == 'other-vpc': p[GENEVE].vni = y[GENEVE].vni   # x's ENIs under y's VNI
if kind == 'unknown-vni': p[GENEVE].vni = 0xabcde
if kind == 'wrong-source': p[IP].src = '127.0.7.9'      # not the host the source ENI is on
for _ in range(3): send(p)
"""
    router = region.routers["h2"]
    expected = {"other-vpc": ("geneve_source_eni_other_vpc", "geneve_destination_eni_other_vpc"),
                "unknown-vni": ("geneve_unknown_vni",),
                "wrong-source": ("geneve_outer_source_mismatch",)}
    for kind, reasons in expected.items():
        before = drops(router)
        run("/usr/bin/python3", "-c", forge, kind)

        def counted():
            after = drops(router)
            return sum(after.get(r, 0) - before.get(r, 0) for r in reasons) >= 3
        assert wait_until(counted, 5), (kind, drops(router))


def test_ecn_crosses_the_tunnel_as_rfc_6040_says(region):
    """Encapsulation copies the inner TOS (ECN and DSCP) to the outer header, as tshark sees
    on the underlay; a CE mark on the outer header (a congested underlay switch, forged here
    with scapy from a captured packet) reaches an ECN-capable inner packet as CE and drops a
    Not-ECT one (counted ecn_ce_not_ect)."""
    h1, h2 = HOSTS["h1"], HOSTS["h2"]
    pcap = region.work / "ecn.pcap"
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-nn", "-U", "-c", "1", "-w", str(pcap),
                             f"udp port 6081 and src host {h1} and dst host {h2}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    region.helpers.append(dump)
    time.sleep(1.0)
    # DSCP 46 (EF) and ECT(0): TOS 0xba.
    out = in_ns(region.x["h1"], "ping", "-c", "1", "-W", "2", "-Q", "0xba", "10.0.1.6",
                check=False)
    assert out.returncode == 0, out.stdout
    dump.wait(timeout=10)
    fields = run("tshark", "-r", str(pcap), "-T", "fields", "-e", "ip.dsfield.dscp",
                 "-e", "ip.dsfield.ecn").stdout.split()
    # Two IP layers (outer, inner), each field comma-joined: DSCP 46 and ECN 2 in both.
    assert fields == ["46,46", "2,2"], fields
    seen = region.work / "ecn-seen.pcap"
    forge = f"""
import socket, sys
from scapy.all import rdpcap, IP, UDP
from scapy.contrib.geneve import GENEVE
p = rdpcap('{pcap}')[0][IP]
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
p[IP].tos = 0xbb                      # the underlay marked CE
if sys.argv[1] == 'not-ect':
    p[GENEVE][IP].tos = 0xb8          # the sender is not ECN-capable
    del p[GENEVE][IP].chksum
del p[IP].chksum
raw.sendto(bytes(p), (p.dst, 0))
"""
    capture = subprocess.Popen(["ip", "netns", "exec", region.x["h2"], "tcpdump", "-i", "any",
                                "-nn", "-U", "-c", "1", "-w", str(seen),
                                "icmp[icmptype] == icmp-echo"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    region.helpers.append(capture)
    time.sleep(1.0)
    run("/usr/bin/python3", "-c", forge, "ect0")
    capture.wait(timeout=10)
    tos = run("tshark", "-r", str(seen), "-T", "fields", "-e", "ip.dsfield.ecn",
              "-e", "ip.dsfield.dscp").stdout.split()
    assert tos == ["3", "46"], tos  # CE, and the DSCP kept
    router = region.routers["h2"]
    before = drops(router).get("ecn_ce_not_ect", 0)
    run("/usr/bin/python3", "-c", forge, "not-ect")
    assert wait_until(lambda: drops(router).get("ecn_ce_not_ect", 0) == before + 1, 5), \
        drops(router)


def test_nacl_denies_between_subnets_but_not_inside_one(region):
    c, x = region.controller, region.x
    group = region.create_group(x["vpc"], "x-all", ICMP)
    inside_a = region.launch("h2", x["b"], "10.0.2.7", [group])
    inside_b = region.launch("h1", x["b"], "10.0.2.8", [group])
    region.up(inside_a)
    region.up(inside_b)
    assert pings(x["h1"], "10.0.2.7", wait=2)
    acl = c.aws_ok("create-network-acl", "--vpc-id", x["vpc"])["NetworkAcl"]["NetworkAclId"]
    acls = c.aws_ok("describe-network-acls", "--filters",
                    f"Name=association.subnet-id,Values={x['b']}")["NetworkAcls"]
    association = [a["NetworkAclAssociationId"] for a in acls[0]["Associations"]
                   if a["SubnetId"] == x["b"]][0]
    c.aws_ok("replace-network-acl-association", "--association-id", association,
             "--network-acl-id", acl)  # a new NACL denies everything (only the * rule)
    assert wait_until(lambda: not pings(x["h1"], "10.0.2.7"), 20, 0.2)
    # Inside subnet b, across hosts: no NACL applies.
    assert pings(inside_b, "10.0.2.7", wait=2)


def test_rule_referencing_another_group(region):
    c, x = region.controller, region.x
    app = region.create_group(x["vpc"], "x-app")
    web = region.create_group(x["vpc"], "x-web", ICMP)
    c.aws_ok("authorize-security-group-ingress", "--group-id", web, "--ip-permissions",
             f"IpProtocol=tcp,FromPort=8080,ToPort=8080,UserIdGroupPairs=[{{GroupId={app}}}]")
    server_ns = region.launch("h2", x["a"], "10.0.1.20", [web])
    member = region.launch("h1", x["a"], "10.0.1.21", [app])
    stranger = region.launch("h1", x["a"], "10.0.1.22", [web])
    for ns in (server_ns, member, stranger):
        region.up(ns)
    background(region, server_ns, ECHO_SERVER, "8080")
    assert wait_until(lambda: connects(member, "10.0.1.20", 8080), 10)
    assert not connects(stranger, "10.0.1.20", 8080)
    region.app, region.web, region.server_ns, region.member = app, web, server_ns, member


def test_revoke_keeps_tracked_and_cuts_untracked(region):
    c, x = region.controller, region.x
    # Untracked: TCP open to the world inbound, default all-out egress (REFERENCE.md).
    open_group = region.create_group(
        x["vpc"], "x-open", ICMP, "IpProtocol=tcp,FromPort=0,ToPort=65535,"
                                  "IpRanges=[{CidrIp=0.0.0.0/0}]")
    open_ns = region.launch("h2", x["a"], "10.0.1.30", [open_group])
    region.up(open_ns)
    background(region, open_ns, ECHO_SERVER, "9090")
    assert wait_until(lambda: connects(region.member, "10.0.1.30", 9090), 10)  # listening
    tracked = background(region, region.member, ECHO_CLIENT, "10.0.1.20", "8080",
                         stdin=subprocess.PIPE)
    untracked = background(region, region.member, ECHO_CLIENT, "10.0.1.30", "9090",
                           stdin=subprocess.PIPE)
    time.sleep(1.0)
    for client in (tracked, untracked):
        assert client.stdout.readline().strip() == "connected"
        assert round_trip(client) == "ok"
    c.aws_ok("revoke-security-group-ingress", "--group-id", region.web, "--ip-permissions",
             f"IpProtocol=tcp,FromPort=8080,ToPort=8080,UserIdGroupPairs=[{{GroupId={region.app}}}]")
    c.aws_ok("revoke-security-group-ingress", "--group-id", open_group, "--ip-permissions",
             "IpProtocol=tcp,FromPort=0,ToPort=65535,IpRanges=[{CidrIp=0.0.0.0/0}]")
    time.sleep(2.0)  # both programs are applied well within this
    assert not connects(region.member, "10.0.1.20", 8080)  # new tracked connections: refused
    assert round_trip(tracked) == "ok"                      # the established one lives on
    assert round_trip(untracked).startswith("broken")       # the untracked one is cut
