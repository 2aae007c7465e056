"""Network load balancers end to end: `aws elbv2` creates an internal NLB whose addresses are
served by a shard of three openvpc-hyperplane nodes; a client instance's connections spread
over three nginx targets on two hosts, the targets see the client's own address, health checks
from the nodes take a stopped target out and put it back, a deregistered target drains, and
losing a node of the shard loses no connection.

A region (controller with --hyperplane-shard-size 3, routers h1=127.0.16.2 and h2=127.0.16.3)
and three hyperplane nodes (127.0.16.20-.22). A VPC with subnets 10.0.1.0/24 and 10.0.2.0/24;
targets t1 (h1, 10.0.1.11), t2 (h2, 10.0.1.12), t3 (h2, 10.0.2.13) run nginx on :80 ("hello
from tN") and dnsmasq on :53; the client (h1, 10.0.2.50) uses curl, dig and Python sockets.
"""
import re
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from api_fixtures import wait_until
from edge_fixtures import SERVER_IP, EdgeUnderTest, Internet, access_log, start_nginx, wait_for_edges
from hyperplane_fixtures import HyperplaneNodeUnderTest, fleet_view, live_nodes, node_total
from region_fixtures import RegionUnderTest
from router_fixtures import in_ns

HOSTS = {"h1": "127.0.16.2", "h2": "127.0.16.3"}
NODES = {"hp1": "127.0.16.20", "hp2": "127.0.16.21", "hp3": "127.0.16.22"}
EDGE = "127.0.16.10"
TARGETS = {"t1": ("h1", 0, "10.0.1.11"), "t2": ("h2", 0, "10.0.1.12"),
           "t3": ("h2", 1, "10.0.2.13")}
CLIENT_IP = "10.0.2.50"
INTERVAL, HEALTHY, UNHEALTHY = 5, 2, 2  # the target group's health check (seconds, counts)
DRAIN_SECONDS = 8  # deregistration_delay.timeout_seconds (Amazon's default: 300)

# `count` keep-alive HTTP connections to the load balancer, each asked again every ~50 ms for
# `seconds`: prints which target answered each connection first, then errors (a reset or lost
# connection) and the worst round trip (the stall).
KEEPALIVE = r"""
import socket, sys, time
count, seconds, server = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
request = b"GET / HTTP/1.1\r\nHost: lb\r\n\r\n"
def ask(s):
    data = b""
    while not data.endswith(b"\n") or b"hello from" not in data:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data.split(b"hello from ")[-1].strip().decode()
conns, first = [], []
for _ in range(count):
    s = socket.create_connection((server, 80), timeout=5)
    s.settimeout(3)
    s.sendall(request)
    first.append(ask(s))
    conns.append(s)
print("connected", " ".join(first), flush=True)
errors, worst, rounds = 0, 0.0, 0
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    for s in conns:
        t0 = time.monotonic()
        try:
            s.sendall(request)
            ask(s)
        except Exception as e:
            errors += 1
            print("error", repr(e), flush=True)
        worst = max(worst, time.monotonic() - t0)
    rounds += 1
    time.sleep(0.05)
print(f"rounds {rounds} errors {errors} worst {worst:.3f}", flush=True)
"""

# One keep-alive connection that must land on target `want` (it retries new connections until
# one does, at most 200): asks once, then every 0.5 s until the connection fails; prints
# "landed", then per answer "ok SECONDS" and finally "reset SECONDS" or "closed SECONDS".
HOLD = r"""
import socket, sys, time
server, want = sys.argv[1], sys.argv[2]
request = b"GET / HTTP/1.1\r\nHost: lb\r\n\r\n"
def ask(s):
    data = b""
    while b"hello from" not in data or not data.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data.split(b"hello from ")[-1].strip().decode()
for _ in range(200):
    s = socket.create_connection((server, 80), timeout=5)
    s.settimeout(5)
    s.sendall(request)
    if ask(s) == want:
        break
    s.close()
else:
    print("never landed", flush=True)
    sys.exit(1)
print("landed", flush=True)
t0 = time.monotonic()
while True:
    time.sleep(0.5)
    try:
        s.sendall(request)
        ask(s)
        print(f"ok {time.monotonic() - t0:.1f}", flush=True)
    except ConnectionResetError:
        print(f"reset {time.monotonic() - t0:.1f}", flush=True)
        break
    except Exception as e:
        print(f"closed {time.monotonic() - t0:.1f} {e!r}", flush=True)
        break
"""


def elb(c, *args):
    return c.aws_ok(*args, service="elbv2")


# The targets see the client's own address and port (preserve_client_ip), so a port the client
# used a moment ago toward the load balancer's other address would meet the target's TIME_WAIT
# socket of that connection with the sequence numbers of another 4-tuple, and the SYN is refused:
# Amazon documents this limit of client IP preservation. Requests to the second address take
# their own source ports, below the kernel's ephemeral range (which the rest use: one
# destination, and the kernel's ports move on, so the 3,000 connections are 3,000 flows).
next_port = [10000]


def answers(ns, address, count, timeout=60, own_ports=False):
    """`count` requests, a new connection each (curl, one process, Connection: close): the
    targets that answered, by name, and how many requests got no answer."""
    ports = []
    if own_ports:
        first = next_port[0]
        next_port[0] += count + 10
        assert next_port[0] < 32768
        ports = ["--local-port", f"{first}-{first + count + 9}"]
    out = in_ns(ns, "curl", "-s", "--max-time", str(timeout), "-H", "Connection: close", *ports,
                f"http://{address}/[1-{count}]", check=False, timeout=timeout * 2 + 10)
    names = re.findall(r"hello from (t\d)", out.stdout)
    return Counter(names), count - len(names)


def node_state(region):
    """The nodes' health-check and load balancer lines of /metrics (for failure messages)."""
    keep = ("health_check", "lb_drops", "lb_events", "load_balancer_")
    return "\n".join(f"{n}: {line}" for n, node in region.nodes.items()
                     for line in node.metrics().splitlines()
                     if not line.startswith("#") and any(k in line for k in keep)
                     and not line.endswith(" 0"))


def health(c, group):
    described = elb(c, "describe-target-health", "--target-group-arn", group)
    return {d["Target"]["Id"]: d["TargetHealth"]["State"]
            for d in described["TargetHealthDescriptions"]}


@pytest.fixture(scope="module")
def world(build_dir: Path):
    region = RegionUnderTest(build_dir, HOSTS, name="nlb",
                             controller_args=["--hyperplane-shard-size", "3",
                                              "--hyperplane-grace-seconds", "5"])
    region.nodes, region.server_pids = {}, {}
    internet, edge = None, None
    try:
        for node_id, underlay in NODES.items():
            region.nodes[node_id] = HyperplaneNodeUnderTest(build_dir, region, node_id, underlay)
        internet = Internet()
        edge = EdgeUnderTest(build_dir, region, internet, 0, EDGE)
        region.internet = internet
        yield region
    finally:
        for pid in region.server_pids.values():
            subprocess.run(["kill", "-9", str(pid)], check=False)
        for node in region.nodes.values():
            node.stop()
        if edge:
            edge.stop()
        if internet:
            internet.close()
        region.close()


def start_target_servers(region, name, ip):
    ns = region.targets[name]
    region.server_pids[name] = start_nginx(ns, region.work, name, f"{ip}:80")
    dns = subprocess.Popen(["ip", "netns", "exec", ns, "dnsmasq", "--no-daemon", "--no-resolv",
                            "--no-hosts", "--bind-interfaces", f"--listen-address={ip}",
                            f"--address=/whoami.test/{ip}", "--user=root",
                            f"--pid-file={region.work}/dnsmasq-{name}.pid"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    region.helpers.append(dns)


def test_connections_spread_over_the_targets_with_the_clients_address(world):
    region, c = world, world.controller
    assert wait_until(lambda: live_nodes(region) == sorted(NODES), 10), fleet_view(region)
    vpc = c.aws_ok("create-vpc", "--cidr-block", "10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [c.aws_ok("create-subnet", "--vpc-id", vpc, "--cidr-block", block,
                        "--availability-zone", zone)["Subnet"]["SubnetId"]
               for block, zone in (("10.0.1.0/24", "us-east-1a"), ("10.0.2.0/24", "us-east-1b"))]
    region.vpc, region.subnets = vpc, subnets
    web = region.web_group = region.create_group(vpc, "web", "IpProtocol=tcp,FromPort=80,ToPort=80,"
                              "IpRanges=[{CidrIp=10.0.0.0/16}]",
                              "IpProtocol=udp,FromPort=53,ToPort=53,"
                              "IpRanges=[{CidrIp=10.0.0.0/16}]")
    client_group = region.create_group(vpc, "client")
    region.targets, region.target_ids = {}, {}
    for name, (host, subnet, ip) in TARGETS.items():
        ns = region.launch(host, subnets[subnet], ip, [web])
        region.targets[name], region.target_ids[name] = ns, ns
    region.client = region.launch("h1", subnets[1], CLIENT_IP, [client_group])
    for ns in [*region.targets.values(), region.client]:
        region.up(ns)
    for name, (_, _, ip) in TARGETS.items():
        start_target_servers(region, name, ip)

    lb = elb(c, "create-load-balancer", "--name", "web", "--type", "network", "--scheme",
             "internal", "--subnets", *subnets)["LoadBalancers"][0]
    region.lb = lb["LoadBalancerArn"]
    region.lb_dns = lb["DNSName"]

    def state():
        return elb(c, "describe-load-balancers", "--load-balancer-arns",
                   region.lb)["LoadBalancers"][0]["State"]["Code"]
    assert wait_until(lambda: state() == "active", 15), state()
    described = elb(c, "describe-load-balancers", "--load-balancer-arns",
                    region.lb)["LoadBalancers"][0]
    region.lb_ips = [a["PrivateIPv4Address"] for z in described["AvailabilityZones"]
                     for a in z["LoadBalancerAddresses"]]
    assert len(region.lb_ips) == 2, described
    group = elb(c, "create-target-group", "--name", "web", "--protocol", "TCP", "--port", "80",
                "--vpc-id", vpc, "--health-check-interval-seconds", str(INTERVAL),
                "--healthy-threshold-count", str(HEALTHY), "--unhealthy-threshold-count",
                str(UNHEALTHY))["TargetGroups"][0]["TargetGroupArn"]
    region.group = group
    elb(c, "modify-target-group-attributes", "--target-group-arn", group, "--attributes",
        f"Key=deregistration_delay.timeout_seconds,Value={DRAIN_SECONDS}")
    elb(c, "register-targets", "--target-group-arn", group, "--targets",
        *[f"Id={i}" for i in region.target_ids.values()])
    elb(c, "create-listener", "--load-balancer-arn", region.lb, "--protocol", "TCP", "--port",
        "80", "--default-actions", f"Type=forward,TargetGroupArn={group}")
    healthy = wait_until(lambda: set(health(c, group).values()) == {"healthy"},
                         INTERVAL * HEALTHY + 10)
    assert healthy, f"{health(c, group)}\n{node_state(region)}"

    counts, failed = answers(region.client, region.lb_ips[0], 3000, timeout=240)
    print("3,000 requests, a new connection each, over the three targets:", dict(counts))
    assert failed == 0, (counts, [n.log_tail(1500) for n in region.nodes.values()])
    for name in TARGETS:
        assert abs(counts[name] - 1000) <= 150, counts
    # Every target saw the client's own address (preserve_client_ip), never the NLB's.
    for name in TARGETS:
        clients = {line.split()[0] for line in access_log(region.work, name)}
        assert clients == {CLIENT_IP}, (name, clients)
    # Its second address (the other subnet's interface) serves as well.
    counts, failed = answers(region.client, region.lb_ips[1], 30, own_ports=True)
    assert failed == 0 and sum(counts.values()) == 30, f"{counts}\n{node_state(region)}"
    # Every node of the shard carried its share of the clients' ports (CloudWatch's names).
    flows = {n: node.metric("openvpc_load_balancer_new_flow_count_total")
             for n, node in region.nodes.items()}
    assert all(v >= 500 for v in flows.values()), node_state(region)
    assert node_total(region, "openvpc_load_balancer_processed_bytes_total") > 0


def test_the_dns_name_resolves_and_a_udp_listener_answers(world):
    region, c = world, world.controller
    out = in_ns(region.client, "dig", "+short", "+time=2", "+tries=2", "@10.0.0.2",
                region.lb_dns, check=False)
    assert sorted(out.stdout.split()) == sorted(region.lb_ips), out.stdout + out.stderr
    udp = elb(c, "create-target-group", "--name", "dns", "--protocol", "UDP", "--port", "53",
              "--vpc-id", region.vpc,
              "--health-check-protocol", "TCP", "--health-check-port", "80",
              "--health-check-interval-seconds", str(INTERVAL),
              "--healthy-threshold-count", str(HEALTHY))["TargetGroups"][0]["TargetGroupArn"]
    elb(c, "register-targets", "--target-group-arn", udp, "--targets",
        *[f"Id={i}" for i in region.target_ids.values()])
    elb(c, "create-listener", "--load-balancer-arn", region.lb, "--protocol", "UDP", "--port",
        "53", "--default-actions", f"Type=forward,TargetGroupArn={udp}")
    answered = set()

    def ask():
        out = in_ns(region.client, "dig", "+short", "+time=1", "+tries=1",
                    f"@{region.lb_ips[0]}", "whoami.test", check=False)
        if out.returncode == 0 and out.stdout.strip():
            answered.add(out.stdout.strip())
        return len(answered) >= 2
    assert wait_until(ask, 30, interval=0.1), answered
    assert answered <= {ip for _, _, ip in TARGETS.values()}, answered


def test_an_unhealthy_target_gets_no_connections_until_it_is_healthy_again(world):
    region, c = world, world.controller
    t3 = region.target_ids["t3"]
    subprocess.run(["kill", str(region.server_pids.pop("t3"))], check=True)
    started = time.monotonic()
    assert wait_until(lambda: health(c, region.group)[t3] == "unhealthy",
                      INTERVAL * UNHEALTHY + 10), health(c, region.group)
    took = time.monotonic() - started
    print(f"nginx stopped on t3: unhealthy after {took:.1f} s "
          f"(interval {INTERVAL} s x threshold {UNHEALTHY})")
    try:
        counts, failed = answers(region.client, region.lb_ips[0], 300)
        assert failed == 0 and "t3" not in counts, counts
    finally:  # the tests after this one want all three targets serving
        start_target_servers(region, "t3", TARGETS["t3"][2])
    assert wait_until(lambda: health(c, region.group)[t3] == "healthy",
                      INTERVAL * HEALTHY + 10), health(c, region.group)
    assert wait_until(lambda: answers(region.client, region.lb_ips[0], 30)[0]["t3"] > 0, 10)


def test_a_deregistered_target_drains_then_its_connections_are_reset(world):
    region, c = world, world.controller
    (region.work / "hold.py").write_text(HOLD)
    hold = subprocess.Popen(["ip", "netns", "exec", region.client, "/usr/bin/python3",
                             str(region.work / "hold.py"), region.lb_ips[0], "t2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    region.helpers.append(hold)
    assert hold.stdout.readline().strip() == "landed", hold.stderr.read()
    t2 = region.target_ids["t2"]
    elb(c, "deregister-targets", "--target-group-arn", region.group, "--targets", f"Id={t2}")
    deregistered = time.monotonic()
    assert health(c, region.group)[t2] == "draining"
    counts, failed = answers(region.client, region.lb_ips[0], 60)
    assert failed == 0 and "t2" not in counts, counts
    out, _ = hold.communicate(timeout=DRAIN_SECONDS + 30)
    lines = out.strip().splitlines()
    ended = time.monotonic() - deregistered
    print(f"deregistered t2 with a live connection: it ended after {ended:.1f} s "
          f"(delay {DRAIN_SECONDS} s): {lines[-1]}")
    assert lines[-1].startswith("reset"), lines
    assert ended >= DRAIN_SECONDS - 1, lines
    assert t2 not in health(c, region.group)
    elb(c, "register-targets", "--target-group-arn", region.group, "--targets", f"Id={t2}")


def test_an_internet_facing_load_balancer_answers_on_its_elastic_ip(world):
    region, c = world, world.controller
    assert wait_for_edges(region, 1), c.read_log()
    igw = c.aws_ok("create-internet-gateway")["InternetGateway"]["InternetGatewayId"]
    c.aws_ok("attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", region.vpc)
    c.aws_ok("authorize-security-group-ingress", "--group-id", region.web_group,
             "--ip-permissions", "IpProtocol=tcp,FromPort=80,ToPort=80,"
             "IpRanges=[{CidrIp=0.0.0.0/0}]")
    allocation, other = (c.aws_ok("allocate-address", "--domain", "vpc") for _ in range(2))
    lb = elb(c, "create-load-balancer", "--name", "public", "--type", "network", "--scheme",
             "internet-facing", "--subnet-mappings",
             f"SubnetId={region.subnets[0]},AllocationId={allocation['AllocationId']}",
             f"SubnetId={region.subnets[1]},AllocationId={other['AllocationId']}")
    arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
    group = elb(c, "create-target-group", "--name", "public", "--protocol", "TCP", "--port", "80",
                "--vpc-id", region.vpc, "--health-check-interval-seconds", str(INTERVAL),
                "--healthy-threshold-count", str(HEALTHY))["TargetGroups"][0]["TargetGroupArn"]
    elb(c, "register-targets", "--target-group-arn", group, "--targets",
        *[f"Id={i}" for i in region.target_ids.values()])
    elb(c, "create-listener", "--load-balancer-arn", arn, "--protocol", "TCP", "--port", "80",
        "--default-actions", f"Type=forward,TargetGroupArn={group}")
    assert wait_until(lambda: set(health(c, group).values()) == {"healthy"},
                      INTERVAL * HEALTHY + 15), f"{health(c, group)}\n{node_state(region)}"
    eip = allocation["PublicIp"]
    out = in_ns(region.internet.name, "curl", "-s", "--max-time", "60", "--interface", SERVER_IP,
                "-H", "Connection: close", f"http://{eip}/[1-60]", check=False, timeout=130)
    counts = Counter(re.findall(r"hello from (t\d)", out.stdout))
    print(f"60 requests from the internet to the load balancer's elastic IP {eip}:", dict(counts))
    assert sum(counts.values()) == 60 and len(counts) == 3, f"{counts}\n{node_state(region)}"
    seen = {line.split()[0] for name in TARGETS for line in access_log(region.work, name)}
    assert SERVER_IP in seen, seen  # the internet client's own address


def test_killing_a_node_of_the_shard_loses_no_connection(world):
    region = world
    assert wait_until(lambda: set(health(region.controller, region.group).values()) ==
                      {"healthy"}, INTERVAL * HEALTHY + 10)
    (region.work / "keepalive.py").write_text(KEEPALIVE)
    clients = subprocess.Popen(["ip", "netns", "exec", region.client, "/usr/bin/python3",
                                str(region.work / "keepalive.py"), "200", "8", region.lb_ips[0]],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    region.helpers.append(clients)
    first = clients.stdout.readline().split()
    assert first and first[0] == "connected", clients.stderr.read()
    time.sleep(1.5)
    carried = {n: node.metric("openvpc_load_balancer_active_flow_count")
               for n, node in region.nodes.items()}
    assert all(v > 0 for v in carried.values()), carried
    victim = "hp2"
    region.nodes[victim].kill()
    out, err = clients.communicate(timeout=60)
    summary = re.search(r"rounds (\d+) errors (\d+) worst ([\d.]+)", out)
    assert summary, out + err
    rounds, errors, worst = int(summary[1]), int(summary[2]), float(summary[3])
    print(f"200 keep-alive connections through the load balancer, {victim} killed: "
          f"{rounds} rounds, {errors} errors, worst stall {worst} s")
    assert errors == 0, out
    assert worst <= 1.5, out
    region.nodes[victim].start()
    assert wait_until(lambda: live_nodes(region) == sorted(NODES), 10)
