"""A whole region for end-to-end tests: a controller and routers subscribed to it.

RegionUnderTest starts openvpc-controller (SQLite in a tmp data dir, the mapping service on a
free port with mutual TLS, one --host per router) and one openvpc-router per host with
--controller and its own certificate (`openvpc host add`, --tls-dir). Tests
then work as a user would: `region.controller.aws_ok(...)` creates VPCs and launches
instances (`launch()` places one on a host and waits for its namespace and TAP), `up()` runs
DHCP inside the instance. close() stops every process by PID and removes whatever a dead
router could not (namespaces named after the instance ids); it is safe to call twice.

Underlay addresses are parameters so that tests running at the same time never share a
127.0.0.x:6081 socket; each module picks its own pair.
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


def require_region_tools():
    if os.geteuid() != 0:
        pytest.skip("needs root for TAPs and namespaces")
    if shutil.which("dhclient") is None or not os.path.exists("/usr/bin/aws"):
        pytest.fail("dhclient or /usr/bin/aws is missing: run scripts/install-deps",
                    pytrace=False)


class ControlledRouter:
    """openvpc-router taking its program from the controller's mapping service."""

    def __init__(self, binary, host_id, underlay, mapping_port, work: Path, tag, extra=(),
                 tls_dir=None):
        self.binary, self.host_id, self.underlay = binary, host_id, underlay
        # Mutual TLS with the host's own certificate (`openvpc host add`); None: --insecure.
        self.tls_args = ["--tls-dir", str(tls_dir)] if tls_dir else ["--insecure"]
        self.mapping_port, self.work, self.tag, self.extra = mapping_port, work, tag, list(extra)
        self.log_path = work / f"{host_id}.log"
        self.state_dir = work / f"state-{host_id}"
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.flow_log_root = work / f"flowlogs-{host_id}"  # ROOT/ACCOUNT/DESTINATION
        self.log = None
        self.proc = None
        self.start()

    def start(self):
        """(Re)starts the process; the log is appended to."""
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [str(self.binary), "--host-id", self.host_id, "--underlay-ip", self.underlay,
             "--controller", self.controller_target(), "--tap-prefix", self.tag,
             "--state-dir", str(self.state_dir), "--counters-interval", "0.2",
             "--flow-log-root", str(self.flow_log_root), "--log-level", "debug"]
            + self.tls_args + self.extra,
            stdout=self.log, stderr=subprocess.STDOUT)

    def controller_target(self):
        """The mapping port on 127.0.0.1, or a string of ADDRESS:PORT[,ADDRESS:PORT...]."""
        if isinstance(self.mapping_port, str):
            return self.mapping_port
        return f"127.0.0.1:{self.mapping_port}"

    def counters(self):
        import json
        try:
            return json.loads((self.state_dir / "counters.json").read_text())
        except (FileNotFoundError, ValueError):
            return None

    def kill(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=15)
        self.log.close()

    def stop(self, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if not self.log.closed:
            self.log.close()
        return self.proc.returncode

    def log_tail(self, n=3000):
        return self.log_path.read_text()[-n:]


class RegionUnderTest:
    def __init__(self, build_dir: Path, hosts: dict, name="region", router_args=(),
                 controller_args=()):
        require_region_tools()
        self.router_binary = require_binary(build_dir, "src/router/openvpc-router",
                                            "openvpc-router")
        require_binary(build_dir, "src/controller/openvpc-controller", "openvpc-controller")
        self.hosts = dict(hosts)
        # TAP names are the prefix and a 10-digit ENI number, within IFNAMSIZ (15 characters).
        self.tag = f"r{os.getpid() % 1000:03d}{name[0]}"
        self.work = Path(tempfile.mkdtemp(prefix=f"ovt-{name}-"))
        self.routers = {}
        self.instances = {}  # instance id -> host id
        self.helpers = []  # processes a test started (servers, clients); killed by close()
        self.router_args = list(router_args)
        port_file = self.work / "mapping-port"
        host_args = [a for h, address in hosts.items() for a in ("--host", f"{h}={address}")]
        self.controller = Controller(extra_args=["--mapping-port", "0", "--mapping-port-file",
                                                 str(port_file)] + host_args
                                     + list(controller_args))
        try:
            assert wait_until(lambda: port_file.exists() and port_file.read_text().strip(),
                              20), self.controller.read_log()
            self.mapping_port = int(port_file.read_text())
            for host_id, underlay in hosts.items():
                tls_dir = self.controller.issue(host_id, "router", self.work / f"tls-{host_id}",
                                                [underlay])
                self.routers[host_id] = ControlledRouter(
                    self.router_binary, host_id, underlay, self.mapping_port, self.work,
                    self.tag, self.router_args, tls_dir)
        except BaseException:
            self.close()
            raise

    # --- what a user does through the API ---
    def create_vpc(self, cidr="10.0.0.0/16", subnets=("10.0.1.0/24", "10.0.2.0/24")):
        c = self.controller
        vpc = c.aws_ok("create-vpc", "--cidr-block", cidr)["Vpc"]["VpcId"]
        ids = [c.aws_ok("create-subnet", "--vpc-id", vpc, "--cidr-block",
                        block)["Subnet"]["SubnetId"] for block in subnets]
        return vpc, ids

    def create_group(self, vpc, name, *permissions):
        c = self.controller
        group = c.aws_ok("create-security-group", "--vpc-id", vpc, "--group-name", name,
                         "--description", name)["GroupId"]
        if permissions:
            c.aws_ok("authorize-security-group-ingress", "--group-id", group,
                     "--ip-permissions", *permissions)
        return group

    def launch(self, host, subnet, ip, groups, wait=True):
        """run-instances on `host`; waits for its namespace and TAP. Returns the instance id
        (which is also the namespace name)."""
        out = self.controller.aws_ok("run-instances", "--image-id", "ami-12345678",
                                     "--subnet-id", subnet, "--private-ip-address", ip,
                                     "--security-group-ids", *groups,
                                     "--placement", f"HostId={host}")
        instance = out["Instances"][0]
        self.instances[instance["InstanceId"]] = host
        if wait:
            self.wait_attached(instance["InstanceId"], host)
        return instance["InstanceId"]

    def wait_attached(self, ns, host, timeout=30):
        router = self.routers[host]
        appeared = wait_until(lambda: router.proc.poll() is not None
                              or (ns in namespaces() and tap_in(ns, self.tag)), timeout)
        assert appeared and router.proc.poll() is None, (
            f"{ns} on {host} never appeared (router exit {router.proc.poll()}; another test "
            f"on {router.underlay}:6081?): " + router.log_tail())

    def up(self, ns):
        """DHCP inside the instance; returns its interface name."""
        interface = tap_in(ns, self.tag)
        lease = dhcp(ns, interface, self.work)
        assert lease.returncode == 0, lease.stderr
        return interface

    def eni_of(self, instance_id):
        out = self.controller.aws_ok("describe-instances", "--instance-ids", instance_id)
        return out["Reservations"][0]["Instances"][0]["NetworkInterfaces"][0][
            "NetworkInterfaceId"]

    # --- teardown ---
    def close(self):
        for proc in self.helpers:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)
        kill_dhclients(self.work)
        for ns in self.instances:
            if ns in namespaces():
                kill_namespace_processes(ns)
        codes = {h: r.stop() for h, r in self.routers.items()}
        self.controller.stop()
        for ns in self.instances:  # only if a router died before removing them
            if ns in namespaces():
                run("ip", "netns", "del", ns, check=False)
        for link in run("ip", "-o", "link", "show").stdout.splitlines():
            if f": {self.tag}" in link:
                run("ip", "link", "del", link.split(":")[1].strip().split("@")[0], check=False)
        shutil.rmtree(self.work, ignore_errors=True)
        return codes

    def leftovers(self):
        found = [ns for ns in self.instances if ns in namespaces()]
        found += [l for l in run("ip", "-o", "link", "show").stdout.splitlines()
                  if f": {self.tag}" in l]
        return found


def pings(ns, address, wait=1):
    return in_ns(ns, "ping", "-c", "1", "-W", str(wait), address, check=False).returncode == 0
