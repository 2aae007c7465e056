"""A region end to end: instances launched through the API come up on their hosts.

openvpc-controller (SQLite in a tmp data dir, the mapping service on a free port, hosts
h1=127.0.0.2 and h2=127.0.0.3) and two openvpc-routers subscribed to it with --controller.
With the stock `aws ec2` CLI: a VPC 10.0.0.0/16, subnets 10.0.1.0/24 and 10.0.2.0/24, a
security group allowing ICMP and TCP 80 from the VPC, and one instance placed on each host.
The routers create the instances' namespaces (named after the instance ids) and move the TAPs
in; the instances take their addresses by DHCP and ping each other across the hosts.
Terminating the instances removes the namespaces; SIGTERM stops everything. Needs root and
dhclient. Everything is stopped by PID and removed by name in every outcome.
"""
from pathlib import Path

import pytest

from api_fixtures import wait_until
from region_fixtures import RegionUnderTest, namespaces, pings
from router_fixtures import in_ns, kill_dhclients, kill_namespace_processes, run

A_IP, B_IP = "10.0.1.5", "10.0.2.7"
HOSTS = {"h1": "127.0.0.2", "h2": "127.0.0.3"}
ICMP_FROM_VPC = "IpProtocol=icmp,FromPort=-1,ToPort=-1,IpRanges=[{CidrIp=10.0.0.0/16}]"


@pytest.fixture(scope="module")
def region(build_dir: Path):
    region = RegionUnderTest(build_dir, HOSTS, name="basic")
    region.by_host = {}
    try:
        yield region
    finally:
        region.exit_codes = region.close()


def test_instances_come_up_on_their_hosts(region):
    vpc, subnets = region.create_vpc()
    region.group = region.create_group(
        vpc, "web", ICMP_FROM_VPC,
        "IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=10.0.0.0/16}]")
    for host, subnet, ip in (("h1", subnets[0], A_IP), ("h2", subnets[1], B_IP)):
        region.by_host[host] = region.launch(host, subnet, ip, [region.group])
    for ns in region.by_host.values():
        region.up(ns)
    a, b = region.by_host["h1"], region.by_host["h2"]
    assert f"inet {A_IP}/24" in in_ns(a, "ip", "-o", "-4", "addr").stdout
    ping = in_ns(a, "ping", "-c", "3", "-i", "0.2", "-W", "3", B_IP, check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    ping = in_ns(b, "ping", "-c", "2", "-i", "0.2", "-W", "3", A_IP, check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr


def test_revoking_icmp_stops_ping_and_authorizing_restores_it(region):
    c, a = region.controller, region.by_host["h1"]
    c.aws_ok("revoke-security-group-ingress", "--group-id", region.group, "--ip-permissions",
             ICMP_FROM_VPC)
    assert wait_until(lambda: not pings(a, B_IP), 20, 0.2)
    c.aws_ok("authorize-security-group-ingress", "--group-id", region.group,
             "--ip-permissions", ICMP_FROM_VPC)
    assert wait_until(lambda: pings(a, B_IP), 20, 0.2)


def test_terminated_instances_lose_their_namespaces(region):
    instances = list(region.by_host.values())
    assert len(instances) == 2
    kill_dhclients(region.work)
    for ns in instances:
        kill_namespace_processes(ns)
    region.controller.aws_ok("terminate-instances", "--instance-ids", *instances)
    assert wait_until(lambda: not (set(instances) & namespaces()), 30), namespaces()


def test_sigterm_leaves_nothing_behind(region):
    codes = [r.stop() for r in region.routers.values()]
    assert codes == [0, 0], codes
    region.controller.kill()
    links = run("ip", "-o", "link", "show").stdout.splitlines()
    assert [link for link in links if f": {region.tag}" in link] == []
    assert not (set(region.by_host.values()) & namespaces())
