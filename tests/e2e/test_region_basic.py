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
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from api_fixtures import Controller, wait_until
from conftest import require_binary
from router_fixtures import dhcp, in_ns, kill_dhclients, kill_namespace_processes, run

A_IP, B_IP = "10.0.1.5", "10.0.2.7"
HOSTS = {"h1": "127.0.0.2", "h2": "127.0.0.3"}
ICMP_FROM_VPC = "IpProtocol=icmp,FromPort=-1,ToPort=-1,IpRanges=[{CidrIp=10.0.0.0/16}]"


def namespaces():
    return {line.split()[0] for line in run("ip", "netns", "list").stdout.splitlines() if line}


def tap_in(ns, prefix):
    """The name of the router's TAP inside namespace ns, or None."""
    out = in_ns(ns, "ip", "-o", "link", "show", check=False).stdout
    for line in out.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if name.startswith(prefix):
            return name
    return None


class ControlledRouter:
    """openvpc-router taking its program from the controller's mapping service."""

    def __init__(self, binary, host_id, underlay, mapping_port, work: Path, tag):
        self.host_id = host_id
        self.log_path = work / f"{host_id}.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [str(binary), "--host-id", host_id, "--underlay-ip", underlay, "--controller",
             f"127.0.0.1:{mapping_port}", "--tap-prefix", tag, "--log-level", "debug"],
            stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()
        return self.proc.returncode


@pytest.fixture(scope="module")
def region(build_dir: Path):
    if os.geteuid() != 0:
        pytest.skip("needs root for TAPs and namespaces")
    if shutil.which("dhclient") is None or not os.path.exists("/usr/bin/aws"):
        pytest.fail("dhclient or /usr/bin/aws is missing: run scripts/install-deps",
                    pytrace=False)
    router_binary = require_binary(build_dir, "src/router/openvpc-router", "openvpc-router")
    require_binary(build_dir, "src/controller/openvpc-controller", "openvpc-controller")
    # TAP names are the prefix and a 10-digit ENI number, within IFNAMSIZ (15 characters).
    tag = f"r{os.getpid() % 1000:03d}-"
    work = Path(tempfile.mkdtemp(prefix="ovt-region-"))
    mapping_port_file = work / "mapping-port"
    hosts = [arg for h, address in HOSTS.items() for arg in ("--host", f"{h}={address}")]
    state = {"tag": tag, "work": work, "routers": [], "instances": {}}
    controller = Controller(extra_args=["--mapping-port", "0", "--mapping-port-file",
                                        str(mapping_port_file)] + hosts)
    state["controller"] = controller
    try:
        assert wait_until(lambda: mapping_port_file.exists()
                          and mapping_port_file.read_text().strip(), 20), controller.read_log()
        mapping_port = int(mapping_port_file.read_text())
        for host_id, underlay in HOSTS.items():
            state["routers"].append(
                ControlledRouter(router_binary, host_id, underlay, mapping_port, work, tag))
        yield state
    finally:
        kill_dhclients(work)
        for ns in state["instances"].values():
            kill_namespace_processes(ns)
        codes = [r.stop() for r in state["routers"]]
        controller.stop()
        for ns in state["instances"].values():  # only if a router died before removing them
            if ns in namespaces():
                run("ip", "netns", "del", ns, check=False)
        shutil.rmtree(work, ignore_errors=True)
        state["exit_codes"] = codes


def test_instances_come_up_on_their_hosts(region):
    c = region["controller"]
    vpc = c.aws_ok("create-vpc", "--cidr-block", "10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [c.aws_ok("create-subnet", "--vpc-id", vpc, "--cidr-block",
                        block)["Subnet"]["SubnetId"] for block in ("10.0.1.0/24", "10.0.2.0/24")]
    group = c.aws_ok("create-security-group", "--vpc-id", vpc, "--group-name", "web",
                     "--description", "web")["GroupId"]
    region["group"] = group
    c.aws_ok("authorize-security-group-ingress", "--group-id", group, "--ip-permissions",
             ICMP_FROM_VPC, "IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=10.0.0.0/16}]")
    for host, subnet, ip in (("h1", subnets[0], A_IP), ("h2", subnets[1], B_IP)):
        out = c.aws_ok("run-instances", "--image-id", "ami-12345678", "--subnet-id", subnet,
                       "--private-ip-address", ip, "--security-group-ids", group,
                       "--placement", f"HostId={host}")
        region["instances"][host] = out["Instances"][0]["InstanceId"]

    prefix = region["tag"]
    for router in region["routers"]:
        ns = region["instances"][router.host_id]
        appeared = wait_until(lambda: router.proc.poll() is not None
                              or (ns in namespaces() and tap_in(ns, prefix)), 30)
        assert appeared and router.proc.poll() is None, (
            f"{ns} on {router.host_id} never appeared (router exit {router.proc.poll()}; "
            "another test on 127.0.0.2/3:6081?): " + router.log_path.read_text()[-3000:])
    for ns in region["instances"].values():
        lease = dhcp(ns, tap_in(ns, prefix), region["work"])
        assert lease.returncode == 0, lease.stderr
    a, b = region["instances"]["h1"], region["instances"]["h2"]
    assert f"inet {A_IP}/24" in in_ns(a, "ip", "-o", "-4", "addr").stdout
    ping = in_ns(a, "ping", "-c", "3", "-i", "0.2", "-W", "3", B_IP, check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    ping = in_ns(b, "ping", "-c", "2", "-i", "0.2", "-W", "3", A_IP, check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr


def pings(ns, address):
    return in_ns(ns, "ping", "-c", "1", "-W", "1", address, check=False).returncode == 0


def test_revoking_icmp_stops_ping_and_authorizing_restores_it(region):
    c, a = region["controller"], region["instances"]["h1"]
    c.aws_ok("revoke-security-group-ingress", "--group-id", region["group"], "--ip-permissions",
             ICMP_FROM_VPC)
    assert wait_until(lambda: not pings(a, B_IP), 20, 0.2)
    c.aws_ok("authorize-security-group-ingress", "--group-id", region["group"],
             "--ip-permissions", ICMP_FROM_VPC)
    assert wait_until(lambda: pings(a, B_IP), 20, 0.2)


def test_terminated_instances_lose_their_namespaces(region):
    instances = region["instances"]
    assert len(instances) == 2
    kill_dhclients(region["work"])
    for ns in instances.values():
        kill_namespace_processes(ns)
    c = region["controller"]
    c.aws_ok("terminate-instances", "--instance-ids", *instances.values())
    assert wait_until(lambda: not (set(instances.values()) & namespaces()), 30), namespaces()


def test_sigterm_leaves_nothing_behind(region):
    codes = [r.stop() for r in region["routers"]]
    assert codes == [0, 0], codes
    region["controller"].kill()
    links = run("ip", "-o", "link", "show").stdout.splitlines()
    assert [link for link in links if f": {region['tag']}" in link] == []
    assert not (set(region["instances"].values()) & namespaces())
