"""A region served by several controllers on one etcd (issue 14's failover, the shared fleet).

MultiControllerRegion is RegionUnderTest with `count` openvpc-controllers on one etcd of
`etcd_size` members instead of one SQLite controller: each has its own API and mapping service
(one region CA, issued by the first and copied to the others), and each router is started
with `--controller` listing the controllers' mapping services in its own order. The first
controller is `region.controller` (what RegionUnderTest's helpers talk to); close() stops
every controller, the routers and etcd by PID.
"""
import os
import socket
import subprocess
import tempfile
from pathlib import Path

from api_fixtures import Controller, Etcd, wait_until
from region_fixtures import ControlledRouter, RegionUnderTest, require_region_tools
from router_fixtures import run


class MultiControllerRegion(RegionUnderTest):

    def __init__(self, build_dir: Path, hosts: dict, orders: dict, count: int,
                 etcd_size=1, controller_args=(), name="multi"):
        """hosts: host id -> underlay; orders: host id -> the controller indexes its router
        lists, first choice first; name: the work dir's and (first letter) TAP tag's."""
        require_region_tools()
        from conftest import require_binary
        self.router_binary = require_binary(build_dir, "src/router/openvpc-router",
                                            "openvpc-router")
        self.hosts = dict(hosts)
        self.tag = f"r{os.getpid() % 1000:03d}{name[0]}"
        self.work = Path(tempfile.mkdtemp(prefix=f"ovt-{name}-"))
        self.routers, self.instances, self.helpers = {}, {}, []
        self.router_args = []
        self.controllers, self.mapping = [], []
        self.etcd = Etcd(etcd_size)
        host_args = [a for h, address in hosts.items() for a in ("--host", f"{h}={address}")]
        try:
            for i in range(count):
                port_file = self.work / f"mapping-port-{i}"
                c = Controller(store="etcd", etcd_endpoint=",".join(self.etcd.endpoints),
                               extra_args=["--mapping-port", "0", "--mapping-port-file",
                                           str(port_file)] + host_args + list(controller_args),
                               pki_from=self.controllers[0] if self.controllers else None)
                self.controllers.append(c)
                assert wait_until(lambda: port_file.exists() and port_file.read_text().strip(),
                                  20), c.read_log()
                self.mapping.append(f"127.0.0.1:{int(port_file.read_text())}")
            self.controller = self.controllers[0]
            for host_id, underlay in hosts.items():
                tls_dir = self.controller.issue(host_id, "router", self.work / f"tls-{host_id}",
                                                [underlay])
                self.routers[host_id] = ControlledRouter(
                    self.router_binary, host_id, underlay, self.targets(orders[host_id]),
                    self.work, self.tag, [], tls_dir)
        except BaseException:
            self.close()
            raise

    def targets(self, order):
        """The --controller list in this order (indexes into self.controllers)."""
        return ",".join(self.mapping[i] for i in order)

    def use_targets(self, order):
        """Makes the edge and node fixtures, which pass `127.0.0.1:{region.mapping_port}` as
        --controller, pass the list in `order` instead."""
        self.mapping_port = self.targets(order)[len("127.0.0.1:"):]

    def controller_id(self, index):
        """The id controller `index` writes in its fleet records (hostname:pid)."""
        return f"{socket.gethostname()}:{self.controllers[index].proc.pid}"

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
            self.controller = self.controllers[0]  # super().close() stops this one
            super().close()
        self.etcd.stop()
