"""The edge end to end: internet gateways, elastic and public IPs, and an `internet` to reach.

A region (controller, routers h1=127.0.11.2 and h2=127.0.11.3) and two openvpc-edge nodes
(127.0.11.10 and .11) whose outside TAPs live in the `internet` namespace (edge_fixtures.py),
where nginx serves on 203.0.113.10 and the public pool 198.51.100.0/24 is routed to the edges.
Everything goes through the stock `aws ec2` CLI: a VPC with a public subnet (0.0.0.0/0 -> igw)
and a private one, instances web (elastic IP) and app (public IP at launch) on h1, db (no
public IP) on h2. Traffic comes from real programs: curl, nginx, ping, dig, iperf3.
"""
import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from api_fixtures import wait_until
from edge_fixtures import (KEEPALIVE_CLIENT, SERVER_IP, EdgeUnderTest, Internet, access_log,
                           curl, start_nginx, wait_for_edges)
from region_fixtures import RegionUnderTest
from router_fixtures import in_ns, run

HOSTS = {"h1": "127.0.11.2", "h2": "127.0.11.3"}
EDGES = ["127.0.11.10", "127.0.11.11"]
WEB_IP, APP_IP, DB_IP = "10.0.1.10", "10.0.1.11", "10.0.2.20"
OPEN_WEB = ["IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=0.0.0.0/0}]",
            "IpProtocol=icmp,FromPort=-1,ToPort=-1,IpRanges=[{CidrIp=0.0.0.0/0}]",
            "IpProtocol=tcp,FromPort=5201,ToPort=5201,IpRanges=[{CidrIp=0.0.0.0/0}]"]

def router_drops(region, host, reason):
    text = run("curl", "-s", "--max-time", "2",
               f"http://{HOSTS[host]}:9180/metrics", check=False).stdout
    for line in text.splitlines():
        if line.startswith("openvpc_pipeline_drops_total") and f'reason="{reason}"' in line:
            return int(float(line.split()[-1]))
    return 0


@pytest.fixture(scope="module")
def world(build_dir: Path):
    region = RegionUnderTest(build_dir, HOSTS, name="edge",
                             router_args=["--flow-log-window-seconds", "2"])
    internet = None
    edges = []
    try:
        internet = Internet()
        for index, underlay in enumerate(EDGES):
            edges.append(EdgeUnderTest(build_dir, region, internet, index, underlay))
        region.internet, region.edges = internet, edges
        region.nginx_pids = [start_nginx(internet.name, region.work, "world", f"{SERVER_IP}:80")]
        region.helpers_ns = []
        yield region
    finally:
        for pid in getattr(region, "nginx_pids", []):
            subprocess.run(["kill", "-9", str(pid)], check=False)
        for edge in edges:
            edge.stop()
        if internet:
            internet.close()
        region.close()


def test_edges_are_live_and_a_vpc_reaches_the_internet(world):
    region, c = world, world.controller
    assert wait_for_edges(region, 2), c.read_log()
    vpc, (public, private) = region.create_vpc()
    region.vpc, region.public_subnet, region.private_subnet = vpc, public, private
    igw = c.aws_ok("create-internet-gateway")["InternetGateway"]["InternetGatewayId"]
    c.aws_ok("attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
    table = c.aws_ok("create-route-table", "--vpc-id", vpc)["RouteTable"]["RouteTableId"]
    c.aws_ok("create-route", "--route-table-id", table, "--destination-cidr-block", "0.0.0.0/0",
             "--gateway-id", igw)
    c.aws_ok("associate-route-table", "--route-table-id", table, "--subnet-id", public)
    region.igw, region.public_table = igw, table
    region.web_group = region.create_group(vpc, "web", *OPEN_WEB)
    region.web = region.launch("h1", public, WEB_IP, [region.web_group])
    region.up(region.web)
    allocation = c.aws_ok("allocate-address", "--domain", "vpc")
    region.allocation, region.eip = allocation["AllocationId"], allocation["PublicIp"]
    association = c.aws_ok("associate-address", "--allocation-id", region.allocation,
                           "--instance-id", region.web)
    region.association = association["AssociationId"]
    described = c.aws_ok("describe-instances", "--instance-ids", region.web)
    instance = described["Reservations"][0]["Instances"][0]
    assert instance["PublicIpAddress"] == region.eip
    assert instance["PublicDnsName"] == "ec2-" + region.eip.replace(".", "-") + \
        ".compute-1.amazonaws.com"
    association_block = instance["NetworkInterfaces"][0]["Association"]
    assert association_block["PublicIp"] == region.eip
    # Out: the server sees the elastic IP as the client.
    assert wait_until(lambda: curl(region.web, f"http://{SERVER_IP}/").stdout ==
                      "hello from world\n", 10), region.edges[0].log_tail()
    log = access_log(region.work, "world")
    assert log and log[-1].split()[0] == region.eip, log
    assert not any(WEB_IP in line for line in log)


def test_the_internet_reaches_an_instance_on_its_elastic_ip(world):
    region = world
    region.nginx_pids.append(start_nginx(region.web, region.work, "web", "80"))
    out = curl(region.internet.name, f"http://{region.eip}/")
    assert out.stdout == "hello from web\n", (out.returncode, out.stderr)
    log = access_log(region.work, "web")
    client = log[-1].split()[0]
    assert client.startswith("192.0.2.") or client == SERVER_IP, log  # the real client
    # Ping both ways; the instance never sees its public address.
    assert in_ns(region.internet.name, "ping", "-c", "2", "-i", "0.2", "-W", "2", region.eip,
                 check=False).returncode == 0
    assert in_ns(region.web, "ping", "-c", "2", "-i", "0.2", "-W", "2", SERVER_IP,
                 check=False).returncode == 0
    assert region.eip not in in_ns(region.web, "ip", "-o", "addr").stdout


def test_public_dns_name_resolves_to_the_private_ip_inside(world):
    region, c = world, world.controller
    c.aws_ok("modify-vpc-attribute", "--vpc-id", region.vpc, "--enable-dns-hostnames")
    name = "ec2-" + region.eip.replace(".", "-") + ".compute-1.amazonaws.com"
    dig = lambda: in_ns(region.web, "dig", "+short", "+time=1", "+tries=1",  # noqa: E731
                        "@10.0.0.2", name, check=False).stdout.strip()
    assert wait_until(lambda: dig() == WEB_IP, 10), dig()


def test_launch_time_public_ip_and_hairpin(world):
    region, c = world, world.controller
    out = c.aws_ok("run-instances", "--image-id", "ami-12345678", "--subnet-id",
                   region.public_subnet, "--private-ip-address", APP_IP,
                   "--security-group-ids", region.web_group, "--associate-public-ip-address",
                   "--placement", "HostId=h1")
    region.app = out["Instances"][0]["InstanceId"]
    region.instances[region.app] = "h1"
    region.wait_attached(region.app, "h1")
    region.up(region.app)
    described = c.aws_ok("describe-instances", "--instance-ids", region.app)
    app_public = described["Reservations"][0]["Instances"][0]["PublicIpAddress"]
    assert app_public.startswith("198.51.100."), described
    region.app_public = app_public
    # Hairpin: app reaches web's public address through the edge; web sees app's public one.
    out = curl(region.app, f"http://{region.eip}/")
    assert out.stdout == "hello from web\n", (out.returncode, out.stderr)
    assert wait_until(lambda: access_log(region.work, "web")[-1].split()[0] == app_public, 2), \
        access_log(region.work, "web")[-1]
    hairpins = lambda: sum(e.metric("openvpc_edge_events_total", event="hairpin") or 0  # noqa
                           for e in region.edges)
    assert wait_until(lambda: hairpins() >= 2, 3), hairpins()  # the request and the answer


def test_nothing_leaves_without_a_public_ip_or_a_route(world):
    region, c = world, world.controller
    region.db = region.launch("h2", region.private_subnet, DB_IP, [region.web_group])
    region.up(region.db)
    db_eni = region.eni_of(region.db)
    flow_log = c.aws_ok("create-flow-logs", "--resource-type", "NetworkInterface",
                        "--resource-ids", db_eni, "--traffic-type", "ALL",
                        "--log-destination-type", "file", "--log-destination", "db.log")
    owner = c.aws_ok("describe-network-interfaces", "--network-interface-ids",
                     db_eni)["NetworkInterfaces"][0]["OwnerId"]
    log_file = region.routers["h2"].flow_log_root / owner / "db.log"
    assert wait_until(lambda: flow_log["FlowLogIds"][0] in (
        region.routers["h2"].counters() or {}).get("flow_logs", {}), 10)
    # No route to the internet gateway in the private subnet: no_route on the router.
    before = router_drops(region, "h2", "no_route")
    assert curl(region.db, f"http://{SERVER_IP}/", timeout=2).returncode != 0
    assert router_drops(region, "h2", "no_route") > before
    # A route but no public IP: no_public_ip.
    c.aws_ok("associate-route-table", "--route-table-id", region.public_table, "--subnet-id",
             region.private_subnet)
    time.sleep(0.5)
    before = router_drops(region, "h2", "no_public_ip")
    assert curl(region.db, f"http://{SERVER_IP}/", timeout=2).returncode != 0
    assert router_drops(region, "h2", "no_public_ip") > before

    # The flow log tells the same story: the SYNs to the internet are REJECT, never ACCEPT.
    def to_server(action):
        if not log_file.exists():
            return []
        return [line for line in log_file.read_text().splitlines()
                if f" {DB_IP} {SERVER_IP} " in line and line.split()[-2] == action]
    assert wait_until(lambda: to_server("REJECT"), 10), log_file
    assert to_server("ACCEPT") == []


def test_security_groups_and_nacls_decide_what_comes_in(world):
    region, c = world, world.controller
    url = f"http://{region.eip}/"
    assert curl(region.internet.name, url).stdout == "hello from web\n"
    c.aws_ok("revoke-security-group-ingress", "--group-id", region.web_group, "--ip-permissions",
             OPEN_WEB[0])
    assert wait_until(lambda: curl(region.internet.name, url, timeout=1).returncode != 0, 5)
    c.aws_ok("authorize-security-group-ingress", "--group-id", region.web_group,
             "--ip-permissions", OPEN_WEB[0])
    assert wait_until(lambda: curl(region.internet.name, url, timeout=1).stdout ==
                      "hello from web\n", 5)
    # A NACL that denies the world's network on the public subnet.
    acls = c.aws_ok("describe-network-acls", "--filters", f"Name=vpc-id,Values={region.vpc}")
    acl = acls["NetworkAcls"][0]["NetworkAclId"]
    c.aws_ok("create-network-acl-entry", "--network-acl-id", acl, "--ingress", "--rule-number",
             "10", "--protocol", "-1", "--cidr-block", "192.0.2.0/24", "--rule-action", "deny")
    c.aws_ok("create-network-acl-entry", "--network-acl-id", acl, "--ingress", "--rule-number",
             "11", "--protocol", "-1", "--cidr-block", f"{SERVER_IP}/32", "--rule-action", "deny")
    try:
        assert wait_until(lambda: curl(region.internet.name, url, timeout=1).returncode != 0, 5)
    finally:
        for rule in ("10", "11"):
            c.aws_ok("delete-network-acl-entry", "--network-acl-id", acl, "--ingress",
                     "--rule-number", rule)
    assert wait_until(lambda: curl(region.internet.name, url, timeout=1).stdout ==
                      "hello from web\n", 5)


def test_df_packets_over_1500_get_fragmentation_needed(world):
    region = world
    ping = in_ns(region.web, "ping", "-c", "1", "-W", "2", "-M", "do", "-s", "1600", SERVER_IP,
                 check=False)
    assert "mtu = 1500" in ping.stdout + ping.stderr, ping.stdout + ping.stderr
    ok = in_ns(region.web, "ping", "-c", "1", "-W", "2", "-M", "do", "-s", "1472", SERVER_IP,
               check=False)
    assert ok.returncode == 0, ok.stdout


def test_disassociate_and_move_an_elastic_ip_within_a_second(world):
    region, c = world, world.controller
    url = f"http://{region.eip}/"
    assert curl(region.internet.name, url).stdout == "hello from web\n"
    c.aws_ok("disassociate-address", "--association-id", region.association)
    started = time.monotonic()
    assert wait_until(lambda: curl(region.internet.name, url, timeout=0.3).returncode != 0, 5)
    assert time.monotonic() - started <= 1.5
    region.nginx_pids.append(start_nginx(region.app, region.work, "app", "80"))
    association = c.aws_ok("associate-address", "--allocation-id", region.allocation,
                           "--instance-id", region.app, "--allow-reassociation")
    region.association = association["AssociationId"]
    started = time.monotonic()
    assert wait_until(lambda: curl(region.internet.name, url, timeout=0.3).stdout ==
                      "hello from app\n", 5)
    assert time.monotonic() - started <= 1.5
    # web got a new launch-time style public IP? No: it had none before its elastic IP.
    described = c.aws_ok("describe-instances", "--instance-ids", region.web)
    assert "PublicIpAddress" not in described["Reservations"][0]["Instances"][0]
    # Move it back for the rest of the module.
    association = c.aws_ok("associate-address", "--allocation-id", region.allocation,
                           "--instance-id", region.web, "--allow-reassociation")
    region.association = association["AssociationId"]
    assert wait_until(lambda: curl(region.internet.name, url, timeout=0.5).stdout ==
                      "hello from web\n", 5)


def test_killing_an_edge_node_loses_no_connection(world):
    region = world
    script = region.work / "keepalive.py"
    script.write_text(KEEPALIVE_CLIENT)
    iperf_server = subprocess.Popen(["ip", "netns", "exec", region.internet.name, "iperf3", "-s",
                                     "-1", "-B", SERVER_IP], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
    region.helpers.append(iperf_server)
    time.sleep(0.5)
    iperf = subprocess.Popen(["ip", "netns", "exec", region.web, "iperf3", "-c", SERVER_IP,
                              "-t", "8", "-J", "--connect-timeout", "3000"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    clients = subprocess.Popen(["ip", "netns", "exec", region.web, "/usr/bin/python3",
                                str(script), "50", "7", SERVER_IP],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    region.helpers += [iperf, clients]
    time.sleep(2.5)
    before = [e.metric("openvpc_edge_events_total", event="translated_out") for e in region.edges]
    assert all(b and b > 0 for b in before), before  # both edges carried traffic
    region.edges[0].kill()
    out, err = clients.communicate(timeout=30)
    iperf_out, iperf_err = iperf.communicate(timeout=30)
    summary = re.search(r"rounds (\d+) errors (\d+) worst ([\d.]+)", out)
    assert summary, out + err
    rounds, errors, worst = int(summary[1]), int(summary[2]), float(summary[3])
    print(f"50 keep-alive connections: {rounds} rounds, {errors} errors, worst stall {worst} s")
    assert errors == 0, out
    assert worst <= 1.0, out
    result = json.loads(iperf_out)
    assert "error" not in result, result.get("error")
    intervals = [i["sum"]["bits_per_second"] for i in result["intervals"]]
    print("iperf3 through the edges, Gbit/s per second:",
          [round(b / 1e9, 2) for b in intervals])
    stalled = sum(1 for b in intervals if b == 0)
    assert stalled <= 1, intervals
    assert result["end"]["sum_received"]["bits_per_second"] > 0
    # The node comes back and is used again.
    region.edges[0].start()
    assert wait_for_edges(region, 2)
