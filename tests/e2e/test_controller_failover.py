"""Several controllers on one etcd: routers fail over to another when theirs dies.

A 3-node etcd cluster on loopback, three openvpc-controllers on it (each with its own API and
mapping service; one region CA, copied), and two routers started with
`--controller A,B,C` (h1 listing the controllers in one order, h2 in another). Instances on
both hosts ping each other the whole time. The controller each router is attached to is
killed with SIGKILL: both routers reattach to a live one within 2 s (the controllers' own
/metrics say who is connected), a change made through a surviving controller's API reaches
them, and no ping is lost.
"""
import os
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from api_fixtures import ETCD, Controller, free_port, wait_until
from region_fixtures import ControlledRouter, RegionUnderTest, require_region_tools
from router_fixtures import in_ns, run

HOSTS = {"h1": "127.0.14.2", "h2": "127.0.14.3"}
APP_IP, DB_IP = "10.0.1.10", "10.0.2.20"


class EtcdCluster:
    """Three etcd members on free loopback ports; stop() kills them by PID."""

    def __init__(self, size=3):
        self.dir = tempfile.mkdtemp(prefix="openvpc-etcd3-")
        self.members = [(f"n{i}", free_port(), free_port()) for i in range(size)]
        cluster = ",".join(f"{name}=http://127.0.0.1:{peer}" for name, _, peer in self.members)
        self.endpoints = [f"http://127.0.0.1:{client}" for _, client, _ in self.members]
        self.procs, self.logs = [], []
        for name, client, peer in self.members:
            log = open(os.path.join(self.dir, f"{name}.log"), "w")
            self.logs.append(log)
            self.procs.append(subprocess.Popen(
                [ETCD, "--name", name, "--data-dir", os.path.join(self.dir, name),
                 "--listen-client-urls", f"http://127.0.0.1:{client}",
                 "--advertise-client-urls", f"http://127.0.0.1:{client}",
                 "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                 "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                 "--initial-cluster", cluster, "--initial-cluster-state", "new"],
                stdout=log, stderr=subprocess.STDOUT))

        def healthy(endpoint):
            try:
                with urllib.request.urlopen(endpoint + "/health", timeout=1) as r:
                    return b"true" in r.read()
            except OSError:
                return False
        if not wait_until(lambda: all(healthy(e) for e in self.endpoints), 30):
            self.stop()
            raise RuntimeError("etcd cluster did not become healthy")

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        for log in self.logs:
            log.close()
        subprocess.run(["rm", "-rf", self.dir], check=False)


class FailoverRegion(RegionUnderTest):
    """RegionUnderTest with three controllers on one etcd cluster instead of one controller."""

    def __init__(self, build_dir: Path):
        require_region_tools()
        from conftest import require_binary
        self.router_binary = require_binary(build_dir, "src/router/openvpc-router",
                                            "openvpc-router")
        self.hosts = dict(HOSTS)
        self.tag = f"r{os.getpid() % 1000:03d}f"
        self.work = Path(tempfile.mkdtemp(prefix="ovt-failover-"))
        self.routers, self.instances, self.helpers = {}, {}, []
        self.router_args = []
        self.controllers, self.mapping = [], []
        self.etcd = EtcdCluster()
        host_args = [a for h, address in HOSTS.items() for a in ("--host", f"{h}={address}")]
        try:
            for i in range(3):
                port_file = self.work / f"mapping-port-{i}"
                c = Controller(store="etcd", etcd_endpoint=",".join(self.etcd.endpoints),
                               extra_args=["--mapping-port", "0", "--mapping-port-file",
                                           str(port_file)] + host_args,
                               pki_from=self.controllers[0] if self.controllers else None)
                self.controllers.append(c)
                assert wait_until(lambda: port_file.exists() and port_file.read_text().strip(),
                                  20), c.read_log()
                self.mapping.append(f"127.0.0.1:{int(port_file.read_text())}")
            self.controller = self.controllers[0]
            orders = {"h1": [0, 1, 2], "h2": [1, 2, 0]}
            for host_id, underlay in HOSTS.items():
                tls_dir = self.controller.issue(host_id, "router", self.work / f"tls-{host_id}",
                                                [underlay])
                targets = ",".join(self.mapping[i] for i in orders[host_id])
                self.routers[host_id] = ControlledRouter(
                    self.router_binary, host_id, underlay, targets, self.work, self.tag, [],
                    tls_dir)
        except BaseException:
            self.close()
            raise

    def connected(self, index):
        """The hosts controller `index` counts as connected (its /metrics)."""
        try:
            text = run("curl", "-s", "--max-time", "2",
                       f"{self.controllers[index].endpoint}/metrics", check=False).stdout
        except subprocess.TimeoutExpired:
            return set()
        return {line.split('"')[1] for line in text.splitlines()
                if line.startswith("openvpc_host_connected{") and line.endswith(" 1")}

    def close(self):
        for c in self.controllers[1:]:
            c.stop()
        self.controllers = self.controllers[:1]
        if self.controllers:
            super().close()
        self.etcd.stop()


@pytest.fixture(scope="module")
def region(build_dir: Path):
    r = FailoverRegion(build_dir)
    yield r
    r.close()


def test_routers_fail_over_to_another_controller(region):
    c = region.controller
    vpc, (a, b) = region.create_vpc()
    group = region.create_group(
        vpc, "peers", "IpProtocol=icmp,FromPort=-1,ToPort=-1,IpRanges=[{CidrIp=10.0.0.0/16}]")
    app = region.launch("h1", a, APP_IP, [group])
    db = region.launch("h2", b, DB_IP, [group])
    region.up(app)
    region.up(db)
    assert wait_until(lambda: in_ns(app, "ping", "-c", "1", "-W", "1", DB_IP,
                                    check=False).returncode == 0, 15)
    # h1 talks to controller 0, h2 to controller 1 (the first of their lists).
    assert wait_until(lambda: "h1" in region.connected(0) and "h2" in region.connected(1), 10)
    pinger = subprocess.Popen(["ip", "netns", "exec", app, "ping", "-i", "0.05", "-W", "1",
                               DB_IP], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    region.helpers.append(pinger)
    time.sleep(1.0)
    killed = time.monotonic()
    for index in (0, 1):
        region.controllers[index].kill(9)
    assert wait_until(lambda: {"h1", "h2"} <= region.connected(2), 2.0, interval=0.05), \
        [r.log_tail(1500) for r in region.routers.values()]
    print(f"both routers attached to the surviving controller "
          f"{time.monotonic() - killed:.2f} s after the kill")
    # A change through the surviving controller reaches them: a third instance on h1 that
    # pings db (its namespace exists only if h1's router got the new program).
    survivor = region.controllers[2]
    region.controller = survivor
    web = region.launch("h1", a, "10.0.1.11", [group])
    region.up(web)
    assert wait_until(lambda: in_ns(web, "ping", "-c", "1", "-W", "1", DB_IP,
                                    check=False).returncode == 0, 15)
    time.sleep(1.0)
    pinger.send_signal(signal.SIGINT)
    out, _ = pinger.communicate(timeout=10)
    summary = [line for line in out.splitlines() if "packets transmitted" in line]
    assert summary, out
    sent, received = (int(w) for w in summary[0].replace(",", "").split()[0:4:3])
    print(f"pings across the failover: {sent} sent, {received} received")
    assert sent > 20 and received == sent, summary
    region.controller = region.controllers[0]  # close() stops the others by list
