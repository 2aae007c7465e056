"""Two controllers on one etcd share one hyperplane fleet (controller/fleet_sync.h).

Controllers A and B on one etcd store (one region CA, copied). Three hyperplane nodes attach to
different controllers — hp1 and hp3 list A first, hp2 lists B first — the router h1
(127.0.17.2) attaches to A and the edge (127.0.17.10, its outside in its own `internet`
namespace) to B. Each controller records the nodes attached to it in the store, so:
  - `openvpc hyperplane` on BOTH controllers lists all three nodes live (with the controller
    each is attached to);
  - a NAT gateway created through B gets a shard of 3 spanning nodes on both controllers, and
    an instance on h1 (whose router's program comes from A) reaches the internet through it
    with its flows spread over all three nodes — a router that saw B's node as down would move
    that slot's flows to its successor, and that node would carry none;
  - A killed with SIGKILL: h1 and the nodes reattach to B, B never counts the fleet changed
    (A's records are still within their lease when B's replace them), the shard stays as it
    was, and the instance still reaches the internet over all three nodes.
Addresses 127.0.17.x are this test's own.
"""
import signal
import subprocess
from pathlib import Path

import pytest

from api_fixtures import wait_until
from edge_fixtures import SERVER_IP, EdgeUnderTest, Internet, curl, start_nginx, wait_for_edges
from hyperplane_fixtures import HyperplaneNodeUnderTest, fleet_view, live_nodes
from multi_controller_fixtures import MultiControllerRegion

HOSTS = {"h1": "127.0.17.2"}
EDGE = "127.0.17.10"
# node id -> (underlay, the controllers it lists, in order: 0 is A, 1 is B)
NODES = {"hp1": ("127.0.17.20", [0, 1]), "hp2": ("127.0.17.21", [1, 0]),
         "hp3": ("127.0.17.22", [0, 1])}
APP_IP = "10.0.2.10"
CURLS = 30  # flows hashed over 3 slots: each node misses all of them with odds (2/3)^30


def fleet_of(region, index):
    """`openvpc hyperplane --json` on controller `index`."""
    saved, region.controller = region.controller, region.controllers[index]
    try:
        return fleet_view(region)
    finally:
        region.controller = saved


@pytest.fixture(scope="module")
def world(build_dir: Path):
    region = MultiControllerRegion(
        build_dir, HOSTS, {"h1": [0, 1]}, count=2, name="quorum",
        controller_args=["--hyperplane-shard-size", "3", "--hyperplane-grace-seconds", "5"])
    internet, edge = None, None
    region.nodes = {}
    region.server_pids = []
    try:
        internet = Internet(name="internet17")
        region.use_targets([1, 0])
        edge = EdgeUnderTest(build_dir, region, internet, 0, EDGE)
        for node_id, (underlay, order) in NODES.items():
            region.use_targets(order)
            region.nodes[node_id] = HyperplaneNodeUnderTest(build_dir, region, node_id, underlay)
        region.internet, region.edges = internet, [edge]
        region.server_pids.append(start_nginx(internet.name, region.work, "world17",
                                              f"{SERVER_IP}:80"))
        yield region
    finally:
        for pid in region.server_pids:
            subprocess.run(["kill", "-9", str(pid)], check=False)
        for node in region.nodes.values():
            node.stop()
        if edge:
            edge.stop()
        if internet:
            internet.close()
        region.close()


def nodes_by_controller(view):
    return {n["node_id"]: n.get("controller") for n in view["nodes"] if n["live"]}


def shard_of(view, nat):
    return [g for g in view["nat_gateways"] if g["id"] == nat][0]["shard"]


def curl_spread(region):
    """CURLS requests from the app through the NAT gateway; the NAT connection attempts each
    node counted meanwhile."""
    def attempts():
        return {n: node.metric("openvpc_nat_gateway_connection_attempt_count_total",
                               nat_gateway_id=region.nat) for n, node in region.nodes.items()}
    before = attempts()
    for _ in range(CURLS):
        out = curl(region.app, f"http://{SERVER_IP}/", timeout=3)
        assert out.stdout == "hello from world17\n", (out.returncode, out.stderr)
    # A node's /metrics is a snapshot its loop takes every 200 ms or so, later under load: wait
    # until the nodes' counts add up to the CURLS new flows (each is counted by one node).
    spread = {}

    def counted():
        after = attempts()
        spread.update({n: after[n] - before[n] for n in after})
        return sum(spread.values()) >= CURLS
    assert wait_until(counted, 10), spread
    return spread


def test_both_controllers_see_every_node_and_place_over_all(world):
    region = world
    a, b = region.controller_id(0), region.controller_id(1)
    expected = {"hp1": a, "hp2": b, "hp3": a}
    for index in (0, 1):
        assert wait_until(lambda: nodes_by_controller(fleet_of(region, index)) == expected, 15), \
            (index, fleet_of(region, index), region.controllers[index].read_log())
    region.controller = region.controllers[1]  # everything below through B
    c = region.controller
    assert wait_for_edges(region, 1), c.read_log()
    vpc, (public, private) = region.create_vpc()
    igw = c.aws_ok("create-internet-gateway")["InternetGateway"]["InternetGatewayId"]
    c.aws_ok("attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
    public_table = c.aws_ok("create-route-table", "--vpc-id", vpc)["RouteTable"]["RouteTableId"]
    c.aws_ok("create-route", "--route-table-id", public_table, "--destination-cidr-block",
             "0.0.0.0/0", "--gateway-id", igw)
    c.aws_ok("associate-route-table", "--route-table-id", public_table, "--subnet-id", public)
    allocation = c.aws_ok("allocate-address", "--domain", "vpc")
    region.nat = c.aws_ok("create-nat-gateway", "--subnet-id", public, "--allocation-id",
                          allocation["AllocationId"])["NatGateway"]["NatGatewayId"]
    assert wait_until(lambda: c.aws_ok("describe-nat-gateways", "--nat-gateway-ids", region.nat)[
        "NatGateways"][0]["State"] == "available", 10)
    # Both controllers show the one shard, over nodes attached to each of them.
    region.shard = shard_of(fleet_of(region, 1), region.nat)
    assert sorted(region.shard) == sorted(NODES), region.shard
    assert shard_of(fleet_of(region, 0), region.nat) == region.shard
    assert {expected[n] for n in region.shard} == {a, b}
    private_table = c.aws_ok("create-route-table", "--vpc-id", vpc)["RouteTable"]["RouteTableId"]
    c.aws_ok("create-route", "--route-table-id", private_table, "--destination-cidr-block",
             "0.0.0.0/0", "--nat-gateway-id", region.nat)
    c.aws_ok("associate-route-table", "--route-table-id", private_table, "--subnet-id", private)
    group = region.create_group(vpc, "app")
    region.app = region.launch("h1", private, APP_IP, [group])
    region.up(region.app)
    assert wait_until(lambda: curl(region.app, f"http://{SERVER_IP}/", timeout=2).stdout ==
                      "hello from world17\n", 15), \
        [n.log_tail(1500) for n in region.nodes.values()]
    # h1's router (on A) sends flows to every slot: it sees hp2 (on B) as up.
    spread = curl_spread(region)
    print(f"{CURLS} connections through the NAT gateway, attempts per node: {spread}")
    assert all(v > 0 for v in spread.values()), spread


def test_a_killed_controllers_nodes_move_and_the_shard_stays(world):
    region = world
    b = region.controller_id(1)
    log_before = len(Path(region.controllers[1].dir, "controller.log").read_text())
    region.controllers[0].kill(signal.SIGKILL)
    # h1 and hp1, hp3 reattach to B; B's fleet stays the three nodes all along.
    assert wait_until(lambda: nodes_by_controller(fleet_of(region, 1)) ==
                      {n: b for n in NODES}, 15), fleet_of(region, 1)
    assert shard_of(fleet_of(region, 1), region.nat) == region.shard
    assert live_nodes_of(region, 1) == sorted(NODES)
    spread = curl_spread(region)
    print(f"after the SIGKILL of A, attempts per node: {spread}")
    assert all(v > 0 for v in spread.values()), spread
    assert shard_of(fleet_of(region, 1), region.nat) == region.shard
    # B never applied a fleet change: no "edge nodes: N, hyperplane nodes: M" line since.
    log = Path(region.controllers[1].dir, "controller.log").read_text()[log_before:]
    assert "hyperplane nodes:" not in log, log[-3000:]


def live_nodes_of(region, index):
    saved, region.controller = region.controller, region.controllers[index]
    try:
        return live_nodes(region)
    finally:
        region.controller = saved
