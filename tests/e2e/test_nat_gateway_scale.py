"""A NAT gateway at EC2's per-destination limit: 55,000 concurrent connections.

Its own region (routers h1=127.0.15.2, h2=127.0.15.3 with room for 262,144 tracked
connections), one edge (127.0.15.10) in the `internet` namespace, three hyperplane nodes
(127.0.15.20-.22) with Amazon's 350 s idle timeout: the connections below sit idle while the
rest are opened, and with a short timeout their flows would retire and their ports be handed
out again. 60,000 connections from one instance to one ip:port through one elastic IP (four
client processes of 15,000 and four accepting processes: a process may hold 20,000
descriptors here): 55,000 open, the rest are refused and ErrorPortAllocation counts them; the
server never sees one (address, port) twice at once.
"""
import subprocess
import time
from pathlib import Path

import pytest

from api_fixtures import wait_until
from edge_fixtures import SERVER_IP, EdgeUnderTest, Internet, wait_for_edges
from hyperplane_fixtures import (MANY_CLIENT, MANY_SERVER, HyperplaneNodeUnderTest, fleet_view,
                                 live_nodes, node_total)
from region_fixtures import RegionUnderTest
from router_fixtures import in_ns

HOSTS = {"h1": "127.0.15.2", "h2": "127.0.15.3"}
EDGE = "127.0.15.10"
NODES = {"hp1": "127.0.15.20", "hp2": "127.0.15.21", "hp3": "127.0.15.22"}
APP_IP = "10.0.2.10"
PORT = 7001
PROCESSES, PER_PROCESS = 4, 15000


@pytest.fixture(scope="module")
def world(build_dir: Path):
    region = RegionUnderTest(build_dir, HOSTS, name="natscale",
                             router_args=["--max-connections", "262144"],
                             controller_args=["--hyperplane-shard-size", "3"])
    internet = None
    edges, region.nodes = [], {}
    try:
        internet = Internet()
        edges.append(EdgeUnderTest(build_dir, region, internet, 0, EDGE))
        for node_id, underlay in NODES.items():
            region.nodes[node_id] = HyperplaneNodeUnderTest(build_dir, region, node_id, underlay)
        region.internet, region.edges = internet, edges
        yield region
    finally:
        for node in region.nodes.values():
            node.stop()
        for edge in edges:
            edge.stop()
        if internet:
            internet.close()
        region.close()


def nat_gateway_network(region):
    """A VPC whose private subnet routes 0.0.0.0/0 to a public NAT gateway; returns the
    gateway's id and an instance in the private subnet."""
    c = region.controller
    vpc, (public, private) = region.create_vpc()
    igw = c.aws_ok("create-internet-gateway")["InternetGateway"]["InternetGatewayId"]
    c.aws_ok("attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
    table = c.aws_ok("create-route-table", "--vpc-id", vpc)["RouteTable"]["RouteTableId"]
    c.aws_ok("create-route", "--route-table-id", table, "--destination-cidr-block", "0.0.0.0/0",
             "--gateway-id", igw)
    c.aws_ok("associate-route-table", "--route-table-id", table, "--subnet-id", public)
    allocation = c.aws_ok("allocate-address", "--domain", "vpc")["AllocationId"]
    nat = c.aws_ok("create-nat-gateway", "--subnet-id", public, "--allocation-id",
                   allocation)["NatGateway"]["NatGatewayId"]
    assert wait_until(lambda: c.aws_ok("describe-nat-gateways", "--nat-gateway-ids", nat)[
        "NatGateways"][0]["State"] == "available", 10)
    table = c.aws_ok("create-route-table", "--vpc-id", vpc)["RouteTable"]["RouteTableId"]
    c.aws_ok("create-route", "--route-table-id", table, "--destination-cidr-block", "0.0.0.0/0",
             "--nat-gateway-id", nat)
    c.aws_ok("associate-route-table", "--route-table-id", table, "--subnet-id", private)
    app = region.launch("h1", private, APP_IP, [region.create_group(vpc, "app")])
    region.up(app)
    return nat, app


def test_55000_connections_to_one_destination_per_address(world):
    region = world
    assert wait_for_edges(region, 1)
    assert wait_until(lambda: live_nodes(region) == sorted(NODES), 10), fleet_view(region)
    nat, app = nat_gateway_network(region)
    in_ns(app, "sysctl", "-qw", "net.ipv4.ip_local_port_range=1024 65535")
    (region.work / "many_server.py").write_text(MANY_SERVER)
    (region.work / "many_client.py").write_text(MANY_CLIENT)
    stats = [region.work / f"many_server_{i}.txt" for i in range(PROCESSES)]
    servers = [subprocess.Popen(["ip", "netns", "exec", region.internet.name, "/usr/bin/python3",
                                 str(region.work / "many_server.py"), SERVER_IP, str(PORT),
                                 str(path)]) for path in stats]
    region.helpers += servers
    assert wait_until(lambda: all(p.exists() for p in stats), 10)
    # The path works before the load: a SYN to a closed port comes back refused (an RST,
    # which also retires the probe's flow at once: it takes none of the 55,000).
    probe = in_ns(app, "/usr/bin/python3", "-c",
                  "import socket\ntry:\n    socket.create_connection(('" + SERVER_IP +
                  f"', {PORT + 1}), timeout=5)\nexcept ConnectionRefusedError:\n"
                  "    print('refused')", check=False)
    assert probe.stdout.strip() == "refused", probe.stdout + probe.stderr
    clients = [subprocess.Popen(["ip", "netns", "exec", app, "/usr/bin/python3",
                                 str(region.work / "many_client.py"), SERVER_IP, str(PORT),
                                 str(PER_PROCESS), "1000", "10"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
               for _ in range(PROCESSES)]
    region.helpers += clients
    try:
        counts = {"connected": 0, "pending": 0, "failed": 0}
        for client in clients:
            line = client.stdout.readline().split()
            for key, value in zip(line[0::2], line[1::2]):
                counts[key] += int(value)
        time.sleep(1.5)  # the servers' files are at most 0.5 s old
        pairs = [line for path in stats for line in path.read_text().splitlines()]
        live, duplicates = len(pairs), len(pairs) - len(set(pairs))
        errors = node_total(region, "openvpc_nat_gateway_error_port_allocation_total",
                            nat_gateway_id=nat)
        active = node_total(region, "openvpc_nat_gateway_active_connection_count",
                            nat_gateway_id=nat)
        print(f"60,000 connections through one NAT address to one destination: {counts}; "
              f"the server holds {live} ({duplicates} duplicate source pairs); the nodes "
              f"hold {int(active)} flows; ErrorPortAllocation {int(errors)}")
        assert counts["connected"] == 55000, counts
        assert live == 55000, live
        assert duplicates == 0
        assert errors >= 5000
    finally:
        for client in clients:
            client.stdin.close()
            client.wait(timeout=60)
        for server in servers:
            server.kill()
            server.wait(timeout=10)
